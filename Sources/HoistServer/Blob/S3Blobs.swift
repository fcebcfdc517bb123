import Foundation
import Hummingbird

/// Bytes in an S3 bucket, PUT there directly by clients (`S3BlobStore` holds the bucket;
/// this adds what the server records of it). Presigned URLs replace the storage URLs; the
/// server learns of an upload by a HEAD of the session's key.
struct S3Blobs: BlobStore {
    let s3: S3BlobStore
    let store: any MetadataStore
    let now: @Sendable () -> Date
    let downloadTTL: TimeInterval
    /// Which sessions' names must be free when their bytes are recorded.
    let purposes: PurposePolicy

    var refusesSecondPUT: Bool { true }

    func uploadURL(for session: SessionRecord, headers: [(String, String)]) throws -> String {
        // The signature also covers a declared size, so S3 itself refuses a body of any other
        // length: a plain presigned PUT has no cap.
        let sized = headers + (session.sizeBytes.map { [("content-length", String($0))] } ?? [])
        return try s3.presignedPUT(key: s3.key(forSession: session.id), headers: sized, expires: session.expiresAt, now: now())
    }

    func downloadURL(for session: SessionRecord, object: ObjectRecord, expires: Date) throws -> String {
        try s3.presignedGET(key: object.blobId, contentType: object.contentType,
                            disposition: ContentSafety.attachment(session.filename), expires: expires, now: now())
    }

    /// Records what `session`'s PUT left at its key as the object of the session's name
    /// (HEAD: size, ETag as the MD5 of a single PUT, headers), unless it is recorded already.
    /// Does nothing when nothing landed: completing then answers "upload missing".
    func settle(_ session: SessionRecord) async throws {
        let key = s3.key(forSession: session.id)
        if let object = try await store.object(at: session.objectKey), object.sessionId == session.id, object.blobId == key {
            return
        }
        // A Lightfield session that expired is past completing, whatever reached its key; a Luw
        // upload stays visible after its session, as on disk.
        let adoptable = session.status == .pending || (session.status == .expired && session.dialect == .luw)
        guard adoptable, let head = try await s3.head(key) else { return }
        let body = StoredBody(
            blobId: key, size: head.size, md5: head.etag,
            contentType: session.dialect == .luw ? Self.luwType(stored: head.contentType, implied: session.mimeType) : session.mimeType,
            cacheControl: head.cacheControl, expiresHeader: head.expires)
        let requireAbsent = purposes.requiresFreeName(session)
        // Stored when the PUT happened (Luw's 12 and 24 hours count from it), never before
        // the session existed nor after now.
        let current = now()
        let storedAt = max(session.createdAt, min(head.lastModified ?? current, current))
        let replaced: String?
        do {
            replaced = try await store.storeUpload(
                sessionId: session.id, body: body, requireAbsent: requireAbsent, acceptingExpired: session.dialect == .luw,
                keepingNewer: true, now: Date(millis: storedAt.millis))
        } catch let error as APIError where error.code == "not_pending" {
            // A concurrent complete (on this instance or another) finished the session
            // since it was read; completing it again answers as that one did.
            return
        } catch let error as APIError where error.code == "superseded" {
            // An older PUT noticed after a newer one of the same name was adopted: it lost.
            // Its bytes go; the session ends with its URL (the sweeper then finds nothing).
            await discard(session: session.id)
            return
        }
        if replaced != key { await delete([replaced]) }
    }

    func settleLatest(objectKey key: String, userId: String?) async throws {
        for session in try await store.pendingSessions(objectKey: key, limit: 5) where userId == nil || session.userId == userId {
            if try await s3.head(s3.key(forSession: session.id)) != nil {
                try await settle(session)
                return
            }
        }
    }

    /// The CDN shape stays; the bytes come from the bucket by a short presigned GET, inline
    /// unless the type could run script.
    func serveFinal(_ object: ObjectRecord, filename: String, context: BasicRequestContext) async throws -> Response {
        let current = now()
        let essence = ContentSafety.essence(of: object.contentType)
        let url = try s3.presignedGET(
            key: object.blobId, contentType: object.contentType,
            disposition: ContentSafety.isScriptCapable(essence) ? ContentSafety.attachment(filename) : nil,
            expires: current.addingTimeInterval(downloadTTL), now: current)
        var headers = HTTPFields()
        headers[.location] = url
        headers[.cacheControl] = "no-store"
        return Response(status: .found, headers: headers)
    }

    /// A failed DELETE is left to the sweeper's later pass over ended sessions.
    func delete(_ ids: [String?]) async {
        for case let id? in ids { try? await s3.delete(id) }
    }

    /// A PUT may have landed without the server knowing.
    func discard(session id: String) async {
        await delete([s3.key(forSession: id)])
    }

    /// A Luw upload nobody has fetched or finalized yet is kept as the disk store keeps it
    /// (24 hours, `x12tmp-` 12); anything else at an ended session's key is deleted. The
    /// URL has expired, so nothing lands there after this.
    func settleEnded(_ ids: [String]) async {
        for id in ids {
            if SessionID.dialect(of: id) == .luw, let session = try? await store.session(id: id, now: now()), session.status == .expired {
                try? await settle(session)
                if let object = try? await store.object(at: session.objectKey), object.sessionId == id { continue }
            }
            await delete([s3.key(forSession: id)])
        }
    }

    func shutdown() async { await s3.shutdown() }

    /// What a Luw PUT sent as its type, or the type its extension implies when it sent none:
    /// S3 records a PUT without `Content-Type` as `binary/octet-stream`, a value no browser
    /// sends, so that value counts as none.
    static func luwType(stored: String?, implied: String) -> String {
        guard let stored = stored?.trimmingCharacters(in: .whitespaces), !stored.isEmpty, stored != "binary/octet-stream" else {
            return implied
        }
        return stored
    }
}
