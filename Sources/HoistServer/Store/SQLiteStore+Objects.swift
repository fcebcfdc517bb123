import Foundation
import GRDB

/// A body that has been written to a blob and is waiting to become visible.
struct StoredBody: Sendable {
    var blobId: String
    var size: Int64
    var md5: String
    var contentType: String
    var cacheControl: String?
    var expiresHeader: String?
    /// The bytes themselves, for a store to keep with the object (``MetadataStore/smallBodyLimit``);
    /// nil when they are in a blob store already.
    var bytes: Data? = nil
}

extension SQLiteStore {
    func storeUpload(sessionId: String, body: StoredBody, requireAbsent: Bool, acceptingExpired: Bool = false,
                     keepingNewer: Bool = false, now: Date) async throws -> String?
    {
        try await expiringWrite { db, ledger in
            guard let session = try Self.expiringSession(db, id: sessionId, now: now, ledger: ledger) else { throw APIError.notFound() }
            try StoreRules.checkTakesBody(session, acceptingExpired: acceptingExpired)
            let existing = try ObjectRecord.lookup(db, key: session.objectKey)
            guard try StoreRules.shouldWrite(body, of: session, over: existing, requireAbsent: requireAbsent,
                                             keepingNewer: keepingNewer, now: now) else { return nil }
            try ObjectRecord(
                objectKey: session.objectKey, sessionId: sessionId, blobId: body.blobId, size: body.size,
                md5: body.md5, contentType: body.contentType, cacheControl: body.cacheControl,
                expiresHeader: body.expiresHeader, storedAt: now,
                deleteAt: session.dialect == .luw ? LuwRetention.deleteAt(filename: session.filename, storedAt: now, finalized: false) : nil
            ).saveRow(db)
            if let bytes = body.bytes { try Self.insertSmallBody(db, blobId: body.blobId, bytes: bytes) }
            try Self.record(db, session: sessionId, "stored", at: now)
            return existing?.blobId
        }
    }

    func object(at key: String) async throws -> ObjectRecord? {
        try pointRead { db in try ObjectRecord.lookup(db, key: key) }
    }

    func adoptableSessions(objectKey key: String, limit: Int) async throws -> [SessionRecord] {
        // By the objectKey index, at most `limit` rows: a point read (see `pointRead`).
        try pointRead { db in
            try SessionRecord.fetchAll(db, sql: """
                SELECT * FROM sessions WHERE objectKey = ?
                  AND (status = 'PENDING' OR (status = 'EXPIRED' AND dialect = 'luw' AND blobSwept = 0))
                ORDER BY createdAt DESC, id DESC LIMIT ?
                """, arguments: [key, limit])
        }
    }

    func finalize(objectKey key: String, userId: String, now: Date, checking check: FinalizeCheck?) async throws -> FinalizeOutcome {
        try await writes.write { db in
            guard var object = try ObjectRecord.lookup(db, key: key) else {
                if check?.expected != nil { return .blobChanged }
                let pending = try SessionRecord
                    .filter(Column("objectKey") == key && Column("userId") == userId).fetchCount(db)
                throw pending > 0 ? APIError.uploadMissing() : APIError.notFound()
            }
            guard var session = try SessionRecord.lookup(db, id: object.sessionId), session.userId == userId else {
                throw APIError.notFound()
            }
            if let check {
                guard check.expected == object.identity else { return .blobChanged }
                if let copy = check.moveTo { object.blobId = copy }
            }
            let fresh = session.status != .completed
            if fresh {
                session.status = .completed
                session.md5 = object.md5
                session.completedAt = now
                try session.updateRow(db)
                try Self.record(db, session: session.id, "completed", at: now)
            }
            object.deleteAt = LuwRetention.deleteAt(filename: session.filename, storedAt: object.storedAt, finalized: true)
            try object.update(db)
            return .finalized(fresh: fresh)
        }
    }

    /// One instance owns a data directory, so every sweep runs.
    func sweep(now: Date) async throws -> SweepOutcome {
        let outcome = try await sweepRows(now: now)
        try await releaseFreePages()
        return outcome
    }

    private func sweepRows(now: Date) async throws -> SweepOutcome {
        try await expiringWrite { db, ledger in
            let overdue = try SessionRecord
                .filter(Column("status") == SessionStatus.pending && Column("expiresAt") <= now.millis).fetchAll(db)
            for var session in overdue { try Self.expire(&session, db, now: now, ledger: ledger) }
            var blobs: [String] = []
            // Not the discard marks of pending sessions: those go only once their bytes have.
            let pendingLightfield = "SELECT id FROM sessions WHERE dialect = 'lightfield' AND status = 'PENDING'"
            for object in try ObjectRecord.fetchAll(db, sql: """
                SELECT * FROM objects WHERE deleteAt <= ? AND sessionId NOT IN (\(pendingLightfield))
                """, arguments: [now.millis]) {
                blobs.append(object.blobId)
                try object.delete(db)
                try Self.record(db, session: object.sessionId, "deleted", at: now)
            }
            // Bytes of Lightfield sessions that expired before completing will never be used.
            let stale = try ObjectRecord.fetchAll(db, sql: """
                SELECT objects.* FROM objects JOIN sessions ON sessions.id = objects.sessionId
                WHERE sessions.dialect = 'lightfield' AND sessions.status IN ('EXPIRED', 'CANCELLED')
                """)
            for object in stale {
                blobs.append(object.blobId)
                try object.delete(db)
                try Self.record(db, session: object.sessionId, "deleted", at: now)
            }
            let ended = try String.fetchAll(db, sql: """
                SELECT id FROM sessions WHERE blobSwept = 0 AND expiresAt <= ? AND (
                  (status IN ('EXPIRED', 'CANCELLED') AND NOT EXISTS (SELECT 1 FROM objects WHERE objects.sessionId = sessions.id))
                  OR (status = 'COMPLETED' AND dialect = 'luw'))
                ORDER BY expiresAt LIMIT \(SweepOutcome.endedPerSweep)
                """, arguments: [now.millis])
            let marks = try ObjectRecord.fetchAll(db, sql: """
                SELECT * FROM objects WHERE deleteAt <= ? AND sessionId IN (\(pendingLightfield))
                ORDER BY deleteAt LIMIT \(SweepOutcome.endedPerSweep)
                """, arguments: [now.addingTimeInterval(-SweepOutcome.discardGrace).millis])
            let copies = try Self.abandonedCopies(db, before: now.addingTimeInterval(-SweepOutcome.copyGrace))
            return SweepOutcome(blobs: blobs, endedSessions: ended, discarded: marks, abandonedCopies: copies)
        }
    }

    func markSwept(_ ids: [String]) async throws {
        try await writes.write { db in
            for id in ids { try db.execute(sql: "UPDATE sessions SET blobSwept = 1 WHERE id = ?", arguments: [id]) }
        }
    }

    func referencedBlobIds() async throws -> Set<String> {
        try await pool.read { db in Set(try String.fetchAll(db, sql: "SELECT blobId FROM objects")) }
    }
}

/// What one sweep did: blobs to delete once committed. The sessions it expired go to
/// the store's ``ExpiryReports``, as every other expiry does.
struct SweepOutcome: Sendable {
    var blobs: [String]
    /// Sessions that ended unfinished (expired, cancelled), and finalized Luw sessions, whose
    /// URL has now expired, oldest first: on S3 whatever landed at their key is deleted unless
    /// it is their object's bytes still. Reported until marked (`markSwept`).
    var endedSessions: [String] = []
    /// Discard marks (``BlobStore/reusesBlobIDs``) of sessions still pending, left longer
    /// than `discardGrace`: the complete that made each did not delete its bytes and drop it
    /// (its DELETE refused, or its instance killed in between). The sweeper deletes the
    /// bytes only if the key still holds them, then drops the mark.
    var discarded: [ObjectRecord] = []

    /// Sealed copies noted longer than ``copyGrace`` ago that no object records: the
    /// finalize that made each never committed (its instance killed between the copy and
    /// the commit). The sweeper deletes each, then forgets it.
    var abandonedCopies: [String] = []

    /// How long a noted copy is left to the finalize that made it: far longer than a copy
    /// and its commit may take (30 s, plus a second for every 20 MB: 5 GiB in under 5 minutes).
    static let copyGrace: TimeInterval = 3600

    /// How long a discard mark is left to the complete that made it: longer than its DELETE
    /// may take (30 s), so that the sweeper never drops a mark while that DELETE is on its
    /// way (a PUT the mark's end lets in would be taken by it).
    static let discardGrace: TimeInterval = 300

    /// At most this many ended sessions a sweep, so that no sweep (nor the S3 calls after
    /// it) runs long; the rest wait for the next.
    static let endedPerSweep = 1000
}

/// How long Luw objects live: `x12tmp-` names 12 hours after their PUT, files never
/// finalized 24 hours after it, finalized ones for good.
enum LuwRetention {
    static let temporaryPrefix = "x12tmp-"

    static func deleteAt(filename: String, storedAt: Date, finalized: Bool) -> Date? {
        if filename.hasPrefix(temporaryPrefix) { return storedAt.addingTimeInterval(12 * 3600) }
        return finalized ? nil : storedAt.addingTimeInterval(24 * 3600)
    }
}
