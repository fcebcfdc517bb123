import Foundation

/// What the server does for bytes it never sees: with an S3 blob store, clients PUT to the
/// bucket directly, and the server learns of the bytes by asking S3 when a session is
/// completed, finalized or its final URL fetched.
struct DirectUploads: Sendable {
    let state: ServerState
    let s3: S3BlobStore

    /// Records what `session`'s PUT left at its key as the object of the session's name
    /// (HEAD: size, ETag as the MD5 of a single PUT, headers), unless it is recorded already.
    /// Does nothing when nothing landed: completing then answers "upload missing".
    func adopt(_ session: SessionRecord) async throws {
        let key = s3.key(forSession: session.id)
        if let object = try await state.store.object(at: session.objectKey), object.sessionId == session.id, object.blobId == key {
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
        let requireAbsent = session.uploadHeaders.contains { $0.0 == "if-none-match" }
        // Stored when the PUT happened (Luw's 12 and 24 hours count from it), never before
        // the session existed nor after now.
        let now = state.now()
        let storedAt = max(session.createdAt, min(head.lastModified ?? now, now))
        let replaced: String?
        do {
            replaced = try await state.store.storeUpload(
                sessionId: session.id, body: body, requireAbsent: requireAbsent, acceptingExpired: session.dialect == .luw,
                now: Date(millis: storedAt.millis))
        } catch let error as APIError where error.code == "not_pending" {
            // A concurrent complete (on this instance or another) finished the session
            // since it was read; completing it again answers as that one did.
            return
        }
        if replaced != key { await state.deleteBlobs([replaced]) }
    }

    /// The newest of the pending sessions for `key` (of `userId`, when given) whose PUT
    /// landed, adopted as `adopt` does: a Luw name's latest upload wins, as on disk.
    func adoptLatest(objectKey key: String, userId: String?) async throws {
        for session in try await state.store.pendingSessions(objectKey: key, limit: 5) where userId == nil || session.userId == userId {
            if try await s3.head(s3.key(forSession: session.id)) != nil {
                try await adopt(session)
                return
            }
        }
    }

    /// A session that ended unfinished and whose URL has expired (`SweepOutcome.endedSessions`):
    /// a Luw upload nobody has fetched or finalized yet is kept as the disk store keeps it
    /// (24 hours, `x12tmp-` 12); anything else at its key is deleted.
    func settleEnded(_ id: String) async {
        if SessionID.dialect(of: id) == .luw, let session = try? await state.store.session(id: id, now: state.now()),
           session.status == .expired {
            try? await adopt(session)
            if let object = try? await state.store.object(at: session.objectKey), object.sessionId == id { return }
        }
        await state.deleteBlobs([s3.key(forSession: id)])
    }

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
