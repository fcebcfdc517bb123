import Foundation
import Hummingbird
import SigV4

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
    /// One finalize of a name at a time on this instance, so that finalizes racing there
    /// copy its bytes (up to 5 GiB) once, not once each.
    let finalizing = KeyedTurns()

    var refusesSecondPUT: Bool { true }
    var reusesBlobIDs: Bool { true }

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
        _ = try await settle(session, refreshing: false)
    }

    /// As `settle`; `refreshing` records the key's bytes even when the session's object is
    /// recorded there already: the key has since taken another PUT of the same pending
    /// session, whose bytes then replace the record's. Returns false when it found no bytes
    /// to record.
    private func settle(_ session: SessionRecord, refreshing: Bool) async throws -> Bool {
        let key = s3.key(forSession: session.id)
        if !refreshing, let object = try await store.object(at: session.objectKey), object.sessionId == session.id,
           object.blobId == key {
            return true
        }
        // A Lightfield session that expired is past completing, whatever reached its key; a Luw
        // upload stays visible after its session, as on disk.
        let adoptable = session.status == .pending || (session.status == .expired && session.dialect == .luw)
        guard adoptable, let head = try await s3.head(key) else { return false }
        // The ETag is what a complete's md5 and a finalize's copy are held to: of an object
        // encrypted with KMS or a customer's key, or missing, or a multipart one's, it is
        // not the bytes' MD5, and bytes held to it would be refused and deleted as other
        // bytes. Refused here, the bytes kept, logged as this server's misconfiguration.
        guard !head.encrypted, Hex.isDigits(head.etag, count: 32) else {
            throw BlobStoreError("the object at \(key) has no MD5 for an ETag ("
                + (head.encrypted ? "encrypted with KMS or a customer key" : "ETag \"\(head.etag)\"")
                + "): the bucket must store single PUTs unencrypted or with SSE-S3")
        }
        let body = StoredBody(
            blobId: key, size: head.size, md5: head.etag,
            contentType: session.dialect == .luw ? Self.luwType(stored: head.contentType, implied: session.mimeType) : session.mimeType,
            cacheControl: head.cacheControl, expiresHeader: head.expires)
        let requireAbsent = purposes.requiresFreeName(session)
        // Stored when the PUT happened (Luw's 12 and 24 hours count from it), never before
        // the session existed nor after now.
        let current = now()
        let storedAt = max(session.createdAt, min(head.lastModified ?? current, current))
        // A file finalized since this PUT (another session's, its bytes sealed) is what the
        // name held when it was finalized, as on disk, where this PUT would have been
        // replaced by then: noticed only now (a fetch, the sweeper), it does not undo the
        // finalize, whose record (kept for good) would otherwise point at bytes the sweeper
        // deletes in 24 h. A PUT after the finalize replaces it, as on disk. S3 dates a PUT
        // to the whole second: only one of an earlier second is known to be before; one of
        // the finalize's own second may be after it, and is let replace it.
        if session.dialect == .luw, let existing = try await store.object(at: session.objectKey), existing.sessionId != session.id,
           !s3.isUploadKey(existing.blobId, ofSession: existing.sessionId),
           let finalized = try await store.session(id: existing.sessionId, now: current), finalized.status == .completed,
           let finalizedAt = finalized.completedAt,
           storedAt.timeIntervalSince1970.rounded(.down) < finalizedAt.timeIntervalSince1970.rounded(.down) {
            await discard(session: session.id)
            return true
        }
        let replaced: String?
        do {
            replaced = try await store.storeUpload(
                sessionId: session.id, body: body, requireAbsent: requireAbsent, acceptingExpired: session.dialect == .luw,
                keepingNewer: true, now: Date(millis: storedAt.millis))
        } catch let error as APIError where error.code == "not_pending" {
            // A concurrent complete (on this instance or another) finished the session
            // since it was read; completing it again answers as that one did.
            return true
        } catch let error as APIError where error.code == "superseded" {
            // An older PUT noticed after a newer one of the same name was adopted: it lost.
            // Its bytes go; the session ends with its URL (the sweeper then finds nothing).
            await discard(session: session.id)
            return true
        }
        if replaced != key { await delete([replaced]) }
        return true
    }

    func settleLatest(objectKey key: String, userId: String?) async throws {
        // An expired Luw session the sweeper has not dealt with counts too: its PUT may have
        // landed before the expiry, and the bucket is asked (503 while it is away), not
        // answered `upload_missing` from the record alone.
        // Every one with bytes, not only the newest session's: the last PUT is the object,
        // and an older session may have PUT last (its own settle keeps the later PUT and
        // deletes the other's bytes). A finalize that settled only the newest sealed that,
        // and the later PUT, noticed at the next fetch, then replaced the finalized file.
        // `settle` asks the bucket once for each, and records nothing where nothing landed.
        for session in try await store.adoptableSessions(objectKey: key, limit: 5) where userId == nil || session.userId == userId {
            try await settle(session)
        }
    }

    /// A presigned URL cannot be revoked, and a Luw URL cannot require `if-none-match` (it
    /// signs only the host), so until it expires S3 takes any PUT to it, even once the upload
    /// is finalized. The finalized object's bytes therefore move to a key no URL names: S3
    /// copies them (only while they are the recorded ones), the record points at the copy in
    /// the same transaction that finalizes it, provided it is still the object read before
    /// the copy, and the session's key is then deleted. A PUT that lands there later reaches
    /// nothing anyone reads; the sweeper deletes it once the URL has expired. Finalizes of
    /// one name take turns on this instance; on several, each copies to a key of its own, one
    /// copy is recorded and the others are deleted.
    func finalize(objectKey key: String, userId: String, now: Date) async throws -> Bool {
        try await finalizing.inTurn(key) {
            for _ in 0..<4 {
                let object = try await store.object(at: key)
                guard let object, s3.isUploadKey(object.blobId, ofSession: object.sessionId) else {
                    // Nothing there (the store answers upload_missing or not_found), or sealed
                    // already: finalized as it is, if it is still what was read.
                    switch try await store.finalize(objectKey: key, userId: userId, now: now,
                                                    checking: FinalizeCheck(expected: object?.identity)) {
                    case .finalized(let fresh): return fresh
                    case .blobChanged: continue
                    }
                }
                guard let session = try await store.session(id: object.sessionId, now: now), session.userId == userId else {
                    throw APIError.notFound()
                }
                let sealed = s3.newSealedKey(forSession: session.id)
                // On record before it exists: an instance killed between the copy and its
                // commit leaves a copy the sweeper finds, not one nothing names.
                try await store.noteSealedCopy(sealed, now: now)
                guard try await s3.copy(object.blobId, to: sealed, etag: object.md5, size: object.size) == .copied else {
                    try? await store.forgetSealedCopies([sealed])
                    // The key holds other bytes than the record's, or none.
                    if session.status == .completed {
                        // Finalized by a server without sealing, and replayed since: it keeps
                        // what it has.
                        if case .finalized(let fresh) = try await store.finalize(
                            objectKey: key, userId: userId, now: now, checking: FinalizeCheck(expected: object.identity)) {
                            return fresh
                        }
                        continue
                    }
                    // Before the finalize, another PUT of the same session is the upload, as
                    // on disk: record it and seal that. (Should another instance have
                    // finalized the session meanwhile, the settle records nothing and the
                    // next turn reads its seal.)
                    if try await settle(session, refreshing: true) { continue }
                    // No bytes at all: sealed by another instance just now, which emptied
                    // the key, or else deleted behind this server's back.
                    if try await store.object(at: key)?.identity != object.identity { continue }
                    throw APIError.uploadMissing()
                }
                let outcome: FinalizeOutcome
                do {
                    outcome = try await store.finalize(objectKey: key, userId: userId, now: now,
                                                       checking: FinalizeCheck(expected: object.identity, moveTo: sealed))
                } catch {
                    await dropUnrecorded(sealed, objectKey: key)
                    throw error
                }
                switch outcome {
                case .finalized(let fresh):
                    await delete([object.blobId])
                    // Recorded now (the sweep also forgets a noted copy an object records).
                    try? await store.forgetSealedCopies([sealed])
                    return fresh
                case .blobChanged:
                    if await deleteOne(sealed) { try? await store.forgetSealedCopies([sealed]) }
                }
            }
            // The name's bytes changed under every try: someone is PUTting to it now.
            throw APIError.blobStoreUnavailable()
        }
    }

    /// Deletes a copy whose finalize failed, unless the record points at it (the commit may
    /// have happened without its answer). When the store cannot say, the copy stays: an
    /// unreferenced copy is the lesser harm.
    private func dropUnrecorded(_ copy: String, objectKey key: String) async {
        do {
            if try await store.object(at: key)?.blobId == copy { return }
        } catch {
            // Left noted: the sweep deletes it once it is surely nobody's.
            return
        }
        if await deleteOne(copy) { try? await store.forgetSealedCopies([copy]) }
    }

    /// The CDN shape stays; the bytes come from the bucket by a short presigned GET, inline
    /// unless the type could run script. The store answers a `Range` itself.
    func serveFinal(_ object: ObjectRecord, filename: String, request headers: HTTPFields) async throws -> Response {
        let current = now()
        let essence = ContentSafety.essence(of: object.contentType)
        // Bytes not yet finalized are at their session's key, which its URL can still write
        // and finalize then empties: a redirect there lives a minute, long enough to follow.
        let lifetime = s3.isUploadKey(object.blobId, ofSession: object.sessionId) ? min(downloadTTL, 60) : downloadTTL
        let url = try s3.presignedGET(
            key: object.blobId, contentType: object.contentType,
            disposition: ContentSafety.isScriptCapable(essence) ? ContentSafety.attachment(filename) : nil,
            expires: current.addingTimeInterval(lifetime), now: current)
        var headers = HTTPFields()
        headers[.location] = url
        headers[.cacheControl] = "no-store"
        return Response(status: .found, headers: headers)
    }

    /// A failed DELETE is left to the sweeper: a session's key to its later pass over ended
    /// sessions, a sealed copy's (replaced, or its object deleted) to its noted copies, where
    /// it is put now (nothing else would name it again).
    func deleteOne(_ id: String) async -> Bool {
        do {
            try await s3.delete(id)
            return true
        } catch {
            if s3.isSealedKey(id) { try? await store.noteSealedCopy(id, now: now()) }
            return false
        }
    }

    /// A PUT may have landed without the server knowing.
    func discard(session id: String) async {
        await delete([s3.key(forSession: id)])
    }

    /// The mark's bytes are deleted only while the key holds them (their size and ETag):
    /// other bytes there were PUT after they went, the mark's DELETE having succeeded (its
    /// instance then killed before it dropped the mark), and are the session's upload, which
    /// the next complete records. While the mark stands no complete records anything at the
    /// key, so nothing recorded is deleted here.
    func clearDiscard(_ mark: ObjectRecord) async -> Bool {
        do {
            guard let head = try await s3.head(mark.blobId), head.size == mark.size, head.etag == mark.md5 else { return true }
            try await s3.delete(mark.blobId)
            return true
        } catch {
            return false
        }
    }

    /// A Luw upload nobody has fetched or finalized yet is kept as the disk store keeps it
    /// (24 hours, `x12tmp-` 12), as is one finalized before its bytes were sealed; anything
    /// else at an ended or finalized session's key is deleted (a PUT after a cancel, or a
    /// finalized upload's URL replayed). The URL has expired, so nothing lands there after
    /// this. A session whose key could not be dealt with (the bucket or the metadata store
    /// away) is not returned, so the next sweep tries it again.
    func settleEnded(_ ids: [String]) async -> [String] {
        var done: [String] = []
        for id in ids {
            let key = s3.key(forSession: id)
            if SessionID.dialect(of: id) == .luw {
                do {
                    if let session = try await store.session(id: id, now: now()) {
                        if session.status == .expired { try await settle(session) }
                        if let object = try await store.object(at: session.objectKey), object.sessionId == id, object.blobId == key {
                            done.append(id)
                            continue
                        }
                    }
                } catch {
                    continue
                }
            }
            do {
                try await s3.delete(key)
                done.append(id)
            } catch {
                continue
            }
        }
        return done
    }

    func shutdown() async { await s3.shutdown() }

    /// What a Luw PUT sent as its type, or the type its extension implies when it sent none:
    /// S3 records a PUT without `Content-Type` as `binary/octet-stream`, a value no browser
    /// sends, so that value counts as none.
    static func luwType(stored: String?, implied: String) -> String {
        guard let stored = stored?.trimmingWhitespace(), !stored.isEmpty, stored != "binary/octet-stream" else {
            return implied
        }
        return stored
    }
}
