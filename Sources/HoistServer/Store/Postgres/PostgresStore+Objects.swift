import Foundation
import PostgresNIO

extension PostgresStore {
    private static let objectColumns = ObjectRecord.postgresColumns

    /// Every body goes to the blob store: several instances share this database, and it
    /// is the bucket they share bytes through (with one instance on a data directory, its
    /// files). Kept in the database only by `SQLiteStore`.
    var smallBodyLimit: Int? { nil }
    func smallBody(blobId: String) async throws -> Data? { nil }

    /// The object at `key`, locked for this transaction.
    func object(_ connection: PostgresConnection, at key: String) async throws -> ObjectRecord? {
        try await connection.records(
            "SELECT \(unescaped: Self.objectColumns) FROM objects WHERE object_key = \(key) FOR UPDATE",
            logger: logger, ObjectRecord.init(postgres:)
        ).first
    }

    func storeUpload(sessionId: String, body: StoredBody, requireAbsent: Bool, acceptingExpired: Bool = false,
                     keepingNewer: Bool = false, now: Date) async throws -> String?
    {
        // Bytes it was handed to keep would be lost: it keeps none (`smallBodyLimit`).
        guard body.bytes == nil else { throw APIError.internalError() }
        guard let key = try await objectKey(ofSession: sessionId) else { throw APIError.notFound() }
        return try await expiringTransaction { connection, ledger in
            try await lockObjectKey(connection, key)
            guard let session = try await lockedSession(connection, id: sessionId, now: now, ledger: ledger) else { throw APIError.notFound() }
            try StoreRules.checkTakesBody(session, acceptingExpired: acceptingExpired)
            let existing = try await object(connection, at: key)
            guard try StoreRules.shouldWrite(body, of: session, over: existing, requireAbsent: requireAbsent,
                                             keepingNewer: keepingNewer, now: now) else { return nil }
            let deleteAt = session.dialect == .luw
                ? LuwRetention.deleteAt(filename: session.filename, storedAt: now, finalized: false)?.millis : nil
            try await connection.query("""
                INSERT INTO objects (\(unescaped: Self.objectColumns)) VALUES (
                \(key), \(sessionId), \(body.blobId), \(body.size), \(body.md5), \(body.contentType), \(body.cacheControl),
                \(body.expiresHeader), \(now.millis), \(deleteAt))
                ON CONFLICT (object_key) DO UPDATE SET session_id = EXCLUDED.session_id, blob_id = EXCLUDED.blob_id,
                    size = EXCLUDED.size, md5 = EXCLUDED.md5, content_type = EXCLUDED.content_type,
                    cache_control = EXCLUDED.cache_control, expires_header = EXCLUDED.expires_header,
                    stored_at = EXCLUDED.stored_at, delete_at = EXCLUDED.delete_at
                """, logger: logger)
            try await Self.record(connection, session: sessionId, "stored", at: now, logger: logger)
            return existing?.blobId
        }
    }

    func object(at key: String) async throws -> ObjectRecord? {
        try await records(
            "SELECT \(unescaped: Self.objectColumns) FROM objects WHERE object_key = \(key)", ObjectRecord.init(postgres:)
        ).first
    }

    func adoptableSessions(objectKey key: String, limit: Int) async throws -> [SessionRecord] {
        try await records("""
            SELECT \(unescaped: SessionRecord.postgresColumns) FROM sessions
            WHERE object_key = \(key) AND (status = 'PENDING' OR (status = 'EXPIRED' AND dialect = 'luw' AND NOT blob_swept))
            ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT \(Int64(limit))
            """, SessionRecord.init(postgres:))
    }

    func finalize(objectKey key: String, userId: String, now: Date, checking check: FinalizeCheck?) async throws -> FinalizeOutcome {
        try await expiringTransaction { connection, ledger in
            try await lockObjectKey(connection, key)
            guard let object = try await object(connection, at: key) else {
                if check?.expected != nil { return .blobChanged }
                var pending: Int64 = 0
                for try await count in try await connection.query(
                    "SELECT count(*) FROM sessions WHERE object_key = \(key) AND user_id = \(userId)", logger: logger
                ).decode(Int64.self) { pending = count }
                throw pending > 0 ? APIError.uploadMissing() : APIError.notFound()
            }
            guard let session = try await lockedSession(connection, id: object.sessionId, now: now, ledger: ledger), session.userId == userId else {
                throw APIError.notFound()
            }
            if let check, check.expected != object.identity { return .blobChanged }
            let fresh = session.status != .completed
            if fresh {
                try await connection.query("""
                    UPDATE sessions SET status = 'COMPLETED', md5 = \(object.md5), completed_at = \(now.millis)
                    WHERE id = \(session.id)
                    """, logger: logger)
                try await Self.record(connection, session: session.id, "completed", at: now, logger: logger)
            }
            let deleteAt = LuwRetention.deleteAt(filename: session.filename, storedAt: object.storedAt, finalized: true)?.millis
            try await connection.query(
                "UPDATE objects SET delete_at = \(deleteAt), blob_id = \(check?.moveTo ?? object.blobId) WHERE object_key = \(key)",
                logger: logger)
            return .finalized(fresh: fresh)
        }
    }

    /// Runs only where the sweep lock is free: with several instances, one sweeps at a
    /// time and the others return an empty outcome.
    func sweep(now: Date) async throws -> SweepOutcome {
        try await expiringTransaction(deadline: sweepDeadline) { connection, ledger in
            var mine = false
            for try await locked in try await connection.query(
                "SELECT pg_try_advisory_xact_lock(\(PostgresSchema.sweepLock))", logger: logger
            ).decode(Bool.self) { mine = locked }
            guard mine else { return SweepOutcome(blobs: []) }
            for row in try await connection.records("""
                UPDATE sessions SET status = 'EXPIRED' WHERE status = 'PENDING' AND expires_at <= \(now.millis)
                RETURNING id, dialect
                """, logger: logger, { try $0.decode((String, String).self) }) {
                try await Self.record(connection, session: row.0, "expired", at: now, logger: logger)
                ledger.expired(Dialect(rawValue: row.1) ?? .lightfield)
            }
            // Objects whose time is up, and the bytes of Lightfield sessions that ended
            // without completing (they will never be used). Not the discard marks of pending
            // sessions: those go only once their bytes have (`SweepOutcome.discarded`).
            let gone = try await connection.records("""
                DELETE FROM objects WHERE (delete_at <= \(now.millis) AND NOT EXISTS (
                    SELECT 1 FROM sessions WHERE sessions.id = objects.session_id AND dialect = 'lightfield' AND status = 'PENDING'))
                  OR session_id IN (SELECT id FROM sessions WHERE dialect = 'lightfield' AND status IN ('EXPIRED', 'CANCELLED'))
                RETURNING blob_id, session_id
                """, logger: logger, { try $0.decode((String, String).self) })
            let marks = try await connection.records("""
                SELECT \(unescaped: Self.objectColumns) FROM objects
                WHERE delete_at <= \(now.addingTimeInterval(-SweepOutcome.discardGrace).millis)
                  AND session_id IN (SELECT id FROM sessions WHERE dialect = 'lightfield' AND status = 'PENDING')
                ORDER BY delete_at LIMIT \(Int64(SweepOutcome.endedPerSweep))
                """, logger: logger, ObjectRecord.init(postgres:))
            for (_, session) in gone { try await Self.record(connection, session: session, "deleted", at: now, logger: logger) }
            let ended = try await connection.records("""
                SELECT id FROM sessions WHERE NOT blob_swept AND expires_at <= \(now.millis) AND (
                  (status IN ('EXPIRED', 'CANCELLED') AND NOT EXISTS (SELECT 1 FROM objects WHERE objects.session_id = sessions.id))
                  OR (status = 'COMPLETED' AND dialect = 'luw'))
                ORDER BY expires_at LIMIT \(Int64(SweepOutcome.endedPerSweep))
                """, logger: logger, { try $0.decode(String.self) })
            let before = now.addingTimeInterval(-SweepOutcome.copyGrace).millis
            try await connection.query("""
                DELETE FROM sealed_copies WHERE made_at <= \(before) AND blob_id IN (SELECT blob_id FROM objects)
                """, logger: logger)
            let copies = try await connection.records("""
                SELECT blob_id FROM sealed_copies WHERE made_at <= \(before) ORDER BY made_at LIMIT \(Int64(SweepOutcome.endedPerSweep))
                """, logger: logger, { try $0.decode(String.self) })
            return SweepOutcome(blobs: gone.map(\.0), endedSessions: ended, discarded: marks, abandonedCopies: copies)
        }
    }

    func noteSealedCopy(_ blobId: String, now: Date) async throws {
        _ = try await transaction { connection in
            try await connection.query("""
                INSERT INTO sealed_copies (blob_id, made_at) VALUES (\(blobId), \(now.millis))
                ON CONFLICT (blob_id) DO NOTHING
                """, logger: logger)
        }
    }

    func forgetSealedCopies(_ blobIds: [String]) async throws {
        guard !blobIds.isEmpty else { return }
        _ = try await transaction { connection in
            try await connection.query("DELETE FROM sealed_copies WHERE blob_id = ANY(\(blobIds))", logger: logger)
        }
    }

    /// Two instances' sweeps may report a session both before either marks it: dealing with
    /// its key twice does no harm (a DELETE, a settle that records once).
    func markSwept(_ ids: [String]) async throws {
        _ = try await transaction { connection in
            try await connection.query("UPDATE sessions SET blob_swept = true WHERE id = ANY(\(ids))", logger: logger)
        }
    }

    /// Read once at start-up, over every object, so held to no request's limit (neither the
    /// deadline nor the pool's `statement_timeout`).
    func referencedBlobIds() async throws -> Set<String> {
        let logger = logger
        return try await client.withConnection { connection in
            try await Self.transaction(on: connection, logger: logger) { connection in
                try await connection.query("SET LOCAL statement_timeout = 0", logger: logger)
                return Set(try await connection.records("SELECT blob_id FROM objects", logger: logger) { try $0.decode(String.self) })
            }
        }
    }
}
