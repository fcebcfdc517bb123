import Foundation
import PostgresNIO

extension PostgresStore {
    private static let sessionColumns = SessionRecord.postgresColumns

    func insertSession(_ session: SessionRecord) async throws {
        try await transaction { connection in try await insert(session, connection) }
    }

    func insertStampedSession(_ make: @escaping @Sendable (Int64) -> SessionRecord) async throws -> SessionRecord {
        try await transaction { connection in
            for offset in 0..<StampedNames.tries {
                let session = make(offset)
                // Held to the end of the transaction: another instance's create of the same
                // name waits, then sees this row.
                try await lockObjectKey(connection, session.objectKey)
                let taken = try await connection.records(
                    "SELECT 1 FROM sessions WHERE object_key = \(session.objectKey) LIMIT 1", logger: logger) { try $0.decode(Int.self) }
                guard taken.isEmpty else { continue }
                try await insert(session, connection)
                return session
            }
            throw APIError.stampsTaken()
        }
    }

    private func insert(_ session: SessionRecord, _ connection: PostgresConnection) async throws {
            try await connection.query("""
                INSERT INTO sessions (\(unescaped: Self.sessionColumns)) VALUES (
                \(session.id), \(session.dialect.rawValue), \(session.userId), \(session.purpose), \(session.filename),
                \(session.objectKey), \(session.mimeType), \(session.sizeBytes), \(session.status.rawValue), \(session.md5),
                \(session.createdAt.millis), \(session.completedAt?.millis), \(session.expiresAt.millis), \(session.pid),
                \(session.requiredHeaders))
                """, logger: logger)
            try await Self.record(connection, session: session.id, "created", at: session.createdAt, logger: logger)
    }

    func session(id: String, now: Date) async throws -> SessionRecord? {
        // Almost every lookup changes nothing: read it, and open a transaction only to expire it.
        let found = try await records(
            "SELECT \(unescaped: Self.sessionColumns) FROM sessions WHERE id = \(id)", SessionRecord.init(postgres:))
        guard let session = found.first else { return nil }
        guard session.status == .pending, session.expiresAt <= now else { return session }
        return try await expiringTransaction { connection, ledger in
            try await lockedSession(connection, id: id, now: now, ledger: ledger)
        }
    }

    /// The session `id`, locked for this transaction and expired if its time is up.
    func lockedSession(_ connection: PostgresConnection, id: String, now: Date, ledger: ExpiryLedger) async throws
        -> SessionRecord?
    {
        guard var session = try await connection.records(
            "SELECT \(unescaped: Self.sessionColumns) FROM sessions WHERE id = \(id) FOR UPDATE",
            logger: logger, SessionRecord.init(postgres:)).first
        else { return nil }
        if session.status == .pending, session.expiresAt <= now {
            session.status = .expired
            try await connection.query("UPDATE sessions SET status = 'EXPIRED' WHERE id = \(id)", logger: logger)
            try await Self.record(connection, session: id, "expired", at: now, logger: logger)
            ledger.expired(session.dialect)
        }
        return session
    }

    /// Locks `key` for this transaction: every change to an object key's row, and to the
    /// sessions that share it, takes this lock first, so they queue instead of deadlocking.
    func lockObjectKey(_ connection: PostgresConnection, _ key: String) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(key), 0))", logger: logger)
    }

    /// The object key of session `id` (fixed at creation, so read without a lock).
    func objectKey(ofSession id: String) async throws -> String? {
        try await records("SELECT object_key FROM sessions WHERE id = \(id)") { try $0.decode(String.self) }.first
    }

    func complete(id: String, md5 given: String?, now: Date, markingDiscards: Bool) async throws -> CompleteOutcome {
        guard let key = try await objectKey(ofSession: id) else { throw APIError.notFound() }
        return try await expiringTransaction { connection, ledger in
            try await lockObjectKey(connection, key)
            guard let session = try await lockedSession(connection, id: id, now: now, ledger: ledger) else { throw APIError.notFound() }
            if let answer = CompleteRules.answer(for: session, given: given) { return answer }
            guard let object = try await self.object(connection, at: key), object.sessionId == id, !CompleteRules.isDiscarded(object) else {
                return .rejected(.uploadMissing(), discardedBlob: nil)
            }
            if let failure = CompleteRules.mismatch(of: object, for: session, given: given) {
                if markingDiscards {
                    try await connection.query("UPDATE objects SET delete_at = \(now.millis) WHERE object_key = \(key)", logger: logger)
                } else {
                    try await connection.query("DELETE FROM objects WHERE object_key = \(key)", logger: logger)
                }
                try await Self.record(connection, session: id, "discarded", at: now, logger: logger)
                return .rejected(failure, discardedBlob: object.blobId)
            }
            var completed = session
            completed.status = .completed
            completed.md5 = object.md5
            completed.completedAt = now
            try await connection.query("""
                UPDATE sessions SET status = 'COMPLETED', md5 = \(object.md5), completed_at = \(now.millis) WHERE id = \(id)
                """, logger: logger)
            try await Self.record(connection, session: id, "completed", at: now, logger: logger)
            return .completed(completed, fresh: true)
        }
    }

    func dropDiscarded(objectKey: String, sessionId: String, blobId: String) async throws {
        try await transaction { connection in
            try await lockObjectKey(connection, objectKey)
            try await connection.query("""
                DELETE FROM objects WHERE object_key = \(objectKey) AND session_id = \(sessionId) AND blob_id = \(blobId)
                AND delete_at IS NOT NULL
                """, logger: logger)
        }
    }

    func cancel(id: String, now: Date) async throws -> (SessionRecord, String?) {
        guard let key = try await objectKey(ofSession: id) else { throw APIError.notFound() }
        return try await expiringTransaction { connection, ledger in
            try await lockObjectKey(connection, key)
            guard var session = try await lockedSession(connection, id: id, now: now, ledger: ledger) else { throw APIError.notFound() }
            guard session.status == .pending else { throw APIError.notPending(session.status.rawValue) }
            session.status = .cancelled
            try await connection.query("UPDATE sessions SET status = 'CANCELLED' WHERE id = \(id)", logger: logger)
            try await Self.record(connection, session: id, "cancelled", at: now, logger: logger)
            var blob: String?
            if let object = try await self.object(connection, at: key), object.sessionId == id {
                blob = object.blobId
                try await connection.query("DELETE FROM objects WHERE object_key = \(key)", logger: logger)
            }
            return (session, blob)
        }
    }

    func listFiles(userId: String, status: SessionStatus?, limit: Int, after cursor: ListCursor?, now: Date)
        async throws -> [SessionRecord]
    {
        try await expiringTransaction { connection, ledger in
            // Bring statuses up to date so that a PENDING filter never returns expired sessions.
            // Ids compare byte by byte, as in SQLite, whatever the database's collation.
            let expired = try await connection.records("""
                UPDATE sessions SET status = 'EXPIRED'
                WHERE user_id = \(userId) AND status = 'PENDING' AND expires_at <= \(now.millis) RETURNING id, dialect
                """, logger: logger) { try $0.decode((String, String).self) }
            for (id, dialect) in expired {
                try await Self.record(connection, session: id, "expired", at: now, logger: logger)
                ledger.expired(Dialect(rawValue: dialect) ?? .lightfield)
            }
            return try await connection.records("""
                SELECT \(unescaped: Self.sessionColumns) FROM sessions
                WHERE user_id = \(userId) AND dialect = 'lightfield'
                  AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
                  AND (\(cursor?.createdAtMillis)::bigint IS NULL OR created_at < \(cursor?.createdAtMillis)
                       OR (created_at = \(cursor?.createdAtMillis) AND id COLLATE "C" < \(cursor?.id)))
                ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT \(Int64(limit))
                """, logger: logger, SessionRecord.init(postgres:))
        }
    }
}
