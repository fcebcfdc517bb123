import Foundation
import GRDB

/// What completing a session came to; a mismatch still commits (the bytes are discarded),
/// so it is an outcome, not a thrown error that would roll the discard back.
enum CompleteOutcome: Sendable {
    /// `fresh` when this call made it COMPLETED, not an idempotent repeat.
    case completed(SessionRecord, fresh: Bool)
    case rejected(APIError, discardedBlob: String?)
}

extension SQLiteStore {
    func insertSession(_ session: SessionRecord) async throws {
        try await writes.write { db in
            try session.insertRow(db)
            try Self.record(db, session: session.id, "created", at: session.createdAt)
        }
    }

    func insertStampedSession(_ make: @escaping @Sendable (Int64) -> SessionRecord) async throws -> SessionRecord {
        try await writes.write { db in
            for offset in 0..<StampedNames.tries {
                let session = make(offset)
                guard try !Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM sessions WHERE objectKey = ?)",
                                         arguments: [session.objectKey])! else { continue }
                try session.insertRow(db)
                try Self.record(db, session: session.id, "created", at: session.createdAt)
                return session
            }
            throw APIError.stampsTaken()
        }
    }

    func session(id: String, now: Date) async throws -> SessionRecord? {
        // Almost every lookup changes nothing: read it, and queue a write only to expire it.
        guard let session = try pointRead({ db in try SessionRecord.lookup(db, id: id) }) else { return nil }
        guard session.status == .pending, session.expiresAt <= now else { return session }
        return try await expiringWrite { db, ledger in try Self.expiringSession(db, id: id, now: now, ledger: ledger) }
    }

    /// SQLite reads are quick and local: the gate sees the session's real state.
    func sessionWithoutWaiting(id: String) -> SessionPeek {
        .known(try? pointRead { db in try SessionRecord.lookup(db, id: id) })
    }

    func objectExistsWithoutWaiting(key: String) -> Bool? {
        try? pointRead { db in try ObjectRecord.lookup(db, key: key) != nil }
    }

    static func expiringSession(_ db: Database, id: String, now: Date, ledger: ExpiryLedger) throws -> SessionRecord? {
        guard var session = try SessionRecord.lookup(db, id: id) else { return nil }
        if session.status == .pending, session.expiresAt <= now { try expire(&session, db, now: now, ledger: ledger) }
        return session
    }

    /// Marks a pending session expired, in the log and the transaction's ledger.
    static func expire(_ session: inout SessionRecord, _ db: Database, now: Date, ledger: ExpiryLedger) throws {
        session.status = .expired
        try session.updateRow(db)
        try record(db, session: session.id, "expired", at: now)
        ledger.expired(session.dialect)
    }

    /// A write that may expire sessions on its way, reported once it has committed.
    func expiringWrite<T: Sendable>(_ body: @escaping @Sendable (Database, ExpiryLedger) throws -> T) async throws -> T {
        let (value, expired) = try await writes.write { db in
            let ledger = ExpiryLedger()
            return (try body(db, ledger), ledger.all)
        }
        expiries.committed(expired)
        return value
    }

    func complete(id: String, md5 given: String?, now: Date, markingDiscards: Bool) async throws -> CompleteOutcome {
        try await expiringWrite { db, ledger in
            guard var session = try Self.expiringSession(db, id: id, now: now, ledger: ledger) else { throw APIError.notFound() }
            if let answer = CompleteRules.answer(for: session, given: given) { return answer }
            guard var object = try ObjectRecord.lookup(db, key: session.objectKey), object.sessionId == id,
                  !CompleteRules.isDiscarded(object) else {
                return .rejected(.uploadMissing(), discardedBlob: nil)
            }
            if let failure = CompleteRules.mismatch(of: object, for: session, given: given) {
                if markingDiscards {
                    object.deleteAt = now
                    try object.update(db)
                } else {
                    try object.delete(db)
                }
                try Self.record(db, session: id, "discarded", at: now)
                return .rejected(failure, discardedBlob: object.blobId)
            }
            session.status = .completed
            session.md5 = object.md5
            session.completedAt = now
            try session.updateRow(db)
            try Self.record(db, session: id, "completed", at: now)
            return .completed(session, fresh: true)
        }
    }

    func dropDiscarded(objectKey: String, sessionId: String, blobId: String) async throws {
        try await writes.write { db in
            try db.execute(sql: "DELETE FROM objects WHERE objectKey = ? AND sessionId = ? AND blobId = ? AND deleteAt IS NOT NULL",
                           arguments: [objectKey, sessionId, blobId])
        }
    }

    /// One instance owns a data directory, so no lease; but a sweep called while the
    /// periodic one runs (`UploadServer.sweep()`) waits for its turn, and each mark is
    /// looked up again first, since a sweep's list may be older than another's drop.
    func clearDiscardMarks(_ marks: [ObjectRecord], _ clear: @escaping @Sendable (ObjectRecord) async -> Bool) async throws {
        guard !marks.isEmpty else { return }
        try await turns.inTurn("discard marks") {
            for mark in marks { try await clearMark(mark, clear) }
        }
    }

    func cancel(id: String, now: Date) async throws -> (SessionRecord, String?) {
        try await expiringWrite { db, ledger in
            guard var session = try Self.expiringSession(db, id: id, now: now, ledger: ledger) else { throw APIError.notFound() }
            guard session.status == .pending else { throw APIError.notPending(session.status.rawValue) }
            session.status = .cancelled
            try session.updateRow(db)
            try Self.record(db, session: id, "cancelled", at: now)
            var blob: String?
            if let object = try ObjectRecord.lookup(db, key: session.objectKey), object.sessionId == id {
                blob = object.blobId
                try object.delete(db)
            }
            return (session, blob)
        }
    }

    func listFiles(userId: String, status: SessionStatus?, limit: Int, after cursor: ListCursor?, now: Date)
        async throws -> [SessionRecord]
    {
        try await expiringWrite { db, ledger in
            // Bring statuses up to date so that a PENDING filter never returns expired sessions.
            let expired = try SessionRecord
                .filter(Column("userId") == userId && Column("status") == SessionStatus.pending && Column("expiresAt") <= now.millis)
                .fetchAll(db)
            for var session in expired { try Self.expire(&session, db, now: now, ledger: ledger) }
            var query = SessionRecord.filter(Column("userId") == userId && Column("dialect") == Dialect.lightfield)
            if let status { query = query.filter(Column("status") == status) }
            if let cursor {
                query = query.filter(
                    Column("createdAt") < cursor.createdAtMillis
                        || (Column("createdAt") == cursor.createdAtMillis && Column("id") < cursor.id))
            }
            return try query.order(Column("createdAt").desc, Column("id").desc).limit(limit).fetchAll(db)
        }
    }
}

/// The opaque position of a listing page: the last file of the previous page.
struct ListCursor: Sendable, Equatable {
    /// Kept as the integer the database holds: a cursor is client input, and a `Date`
    /// made from any `Int64` does not always convert back without overflow.
    var createdAtMillis: Int64
    var id: String

    var token: String {
        Data("\(createdAtMillis)|\(id)".utf8).base64EncodedString()
    }

    init(createdAt: Date, id: String) {
        createdAtMillis = createdAt.millis
        self.id = id
    }

    init?(token: String) {
        guard let data = Data(base64Encoded: token), let text = String(data: data, encoding: .utf8) else { return nil }
        let parts = text.split(separator: "|", maxSplits: 1)
        guard parts.count == 2, let millis = Int64(parts[0]) else { return nil }
        // A cursor is client input: its id is held to what an id can be (printable ASCII,
        // as every session id is), so no store meets a byte it refuses (PostgreSQL, a NUL).
        guard !parts[1].isEmpty, parts[1].utf8.count <= 128, parts[1].utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        createdAtMillis = millis
        id = String(parts[1])
    }
}
