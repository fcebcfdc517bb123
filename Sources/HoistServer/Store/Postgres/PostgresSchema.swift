import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL form of the schema `SQLiteStore.migrator` makes: the same tables and
/// versions, in PostgreSQL's types (dates are integer milliseconds in both).
///
/// Migrations run under an advisory lock, so instances started together migrate once.
enum PostgresSchema {
    /// Held while migrating; the number only has to be hoist's own.
    static let migrationLock: Int64 = 0x686F_6973_7401
    /// Held (per transaction) by the instance sweeping now; the others skip their turn.
    static let sweepLock: Int64 = 0x686F_6973_7402

    /// Versions in order; each name matches `SQLiteStore.migrator`'s.
    static let migrations: [(name: String, statements: [String])] = [
        ("v1", [
            "CREATE TABLE settings (name TEXT PRIMARY KEY, value BYTEA NOT NULL)",
            """
            CREATE TABLE api_keys (id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, user_id TEXT NOT NULL,
                scopes TEXT NOT NULL, role TEXT NOT NULL, personas TEXT NOT NULL, created_at BIGINT NOT NULL)
            """,
            "CREATE TABLE personas (pid BIGINT PRIMARY KEY, user_id TEXT NOT NULL)",
            """
            CREATE TABLE sessions (id TEXT PRIMARY KEY, dialect TEXT NOT NULL, user_id TEXT NOT NULL, purpose TEXT,
                filename TEXT NOT NULL, object_key TEXT NOT NULL, mime_type TEXT NOT NULL, size_bytes BIGINT,
                status TEXT NOT NULL, md5 TEXT, created_at BIGINT NOT NULL, completed_at BIGINT,
                expires_at BIGINT NOT NULL, pid BIGINT, required_headers TEXT NOT NULL)
            """,
            "CREATE INDEX sessions_by_user ON sessions (user_id, created_at DESC, id DESC)",
            "CREATE INDEX sessions_by_object_key ON sessions (object_key)",
            "CREATE INDEX sessions_pending_by_expiry ON sessions (expires_at) WHERE status = 'PENDING'",
            """
            CREATE TABLE objects (object_key TEXT PRIMARY KEY, session_id TEXT NOT NULL, blob_id TEXT NOT NULL,
                size BIGINT NOT NULL, md5 TEXT NOT NULL, content_type TEXT NOT NULL, cache_control TEXT,
                expires_header TEXT, stored_at BIGINT NOT NULL, delete_at BIGINT)
            """,
            "CREATE INDEX objects_by_delete_at ON objects (delete_at) WHERE delete_at IS NOT NULL",
            "CREATE TABLE events (seq BIGSERIAL PRIMARY KEY, session_id TEXT NOT NULL, kind TEXT NOT NULL, at BIGINT NOT NULL)",
        ]),
        ("v2-swept", [
            "ALTER TABLE sessions ADD COLUMN blob_swept BOOLEAN NOT NULL DEFAULT false",
            "CREATE INDEX sessions_unswept_by_expiry ON sessions (expires_at) WHERE NOT blob_swept",
        ]),
        // (v3 is SQLite's alone: bodies kept in the database.)
        ("v4-sealed-copies", [
            "CREATE TABLE sealed_copies (blob_id TEXT PRIMARY KEY, made_at BIGINT NOT NULL)",
        ]),
        // PostgreSQL's alone: which instance clears discard marks now (`clearDiscardMarks`);
        // one SQLite instance needs no lease.
        ("v5-discard-lease", [
            "CREATE TABLE discard_lease (id INT PRIMARY KEY, owner TEXT NOT NULL, until_ms BIGINT NOT NULL)",
        ]),
    ]

    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        try await PostgresStore.transaction(on: connection, logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(migrationLock))", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS hoist_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)",
                logger: logger)
            var applied: Set<String> = []
            for try await name in try await connection.query("SELECT name FROM hoist_migrations", logger: logger)
                .decode(String.self) { applied.insert(name) }
            for migration in migrations where !applied.contains(migration.name) {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                if migration.name == "v1" {
                    // The signing secret is made once per database, so every instance on it
                    // signs alike unless --secret-file says otherwise.
                    var secret = ByteBuffer()
                    var rng = SystemRandomNumberGenerator()
                    for _ in 0..<32 { secret.writeInteger(UInt8.random(in: 0...255, using: &rng)) }
                    try await connection.query(
                        "INSERT INTO settings (name, value) VALUES ('signingSecret', \(secret))", logger: logger)
                }
                try await connection.query(
                    "INSERT INTO hoist_migrations (name, applied_at) VALUES (\(migration.name), \(Date().millis))",
                    logger: logger)
            }
        }
    }
}
