import Foundation
import GRDB

/// The server's metadata in SQLite, in the data directory: the embedded default, for one
/// instance. Every state change is committed before the response that reports it.
struct SQLiteStore: MetadataStore {
    let pool: DatabasePool
    /// Where every request's writes go: concurrent ones share a commit (and its fsync).
    let writes: GroupCommit
    /// One sweeper's clearing of discard marks at a time (``clearDiscardMarks(_:_:)``).
    let turns = KeyedTurns()
    let expiries = ExpiryReports()

    /// Opens (creating and migrating) `hoist.sqlite` in `directory`.
    init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var config = Configuration()
        // `hoist keys create` writes while a server runs on the same directory.
        config.busyMode = .timeout(10)
        // Before GRDB turns WAL on, which fixes the vacuum mode of a new file.
        config.prepareDatabase { db in try Self.newFileReleasesFreePages(db) }
        pool = try DatabasePool(path: directory + "/hoist.sqlite", configuration: config)
        // GRDB turns WAL on with `synchronous = NORMAL`, after `prepareDatabase` has run: a
        // commit then survives the server's death but not the machine's (a power cut could
        // take back a completion already answered 200, and the sweep would then delete its
        // blob). FULL syncs the WAL at every commit, and GroupCommit shares each sync
        // among the requests that wait together. Only the writer commits.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        try pool.writeWithoutTransaction { db in try Self.convertToReleaseFreePages(db) }
        try Self.migrator.migrate(pool)
        writes = GroupCommit(pool: pool)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "settings") { t in
                t.primaryKey("name", .text)
                t.column("value", .blob).notNull()
            }
            try db.create(table: "apiKeys") { t in
                t.primaryKey("id", .text)
                t.column("hash", .text).notNull().unique()
                t.column("userId", .text).notNull()
                t.column("scopes", .text).notNull()
                t.column("role", .text).notNull()
                t.column("personas", .text).notNull()
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "personas") { t in
                t.primaryKey("pid", .integer)
                t.column("userId", .text).notNull()
            }
            try db.create(table: "sessions") { t in
                t.primaryKey("id", .text)
                t.column("dialect", .text).notNull()
                t.column("userId", .text).notNull().indexed()
                t.column("purpose", .text)
                t.column("filename", .text).notNull()
                t.column("objectKey", .text).notNull().indexed()
                t.column("mimeType", .text).notNull()
                t.column("sizeBytes", .integer)
                t.column("status", .text).notNull()
                t.column("md5", .text)
                t.column("createdAt", .datetime).notNull()
                t.column("completedAt", .datetime)
                t.column("expiresAt", .datetime).notNull()
                t.column("pid", .integer)
                t.column("requiredHeaders", .text).notNull()
            }
            try db.create(table: "objects") { t in
                t.primaryKey("objectKey", .text)
                t.column("sessionId", .text).notNull()
                t.column("blobId", .text).notNull()
                t.column("size", .integer).notNull()
                t.column("md5", .text).notNull()
                t.column("contentType", .text).notNull()
                t.column("cacheControl", .text)
                t.column("expiresHeader", .text)
                t.column("storedAt", .datetime).notNull()
                t.column("deleteAt", .datetime)
            }
            try db.create(table: "events") { t in
                t.autoIncrementedPrimaryKey("seq")
                t.column("sessionId", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("at", .datetime).notNull()
            }
            // The signing secret is made once per data directory, so signed URLs survive restarts.
            var secret = [UInt8](repeating: 0, count: 32)
            var rng = SystemRandomNumberGenerator()
            for i in secret.indices { secret[i] = rng.next() }
            try db.execute(sql: "INSERT INTO settings (name, value) VALUES ('signingSecret', ?)", arguments: [Data(secret)])
        }
        // The sweeper's mark on sessions that ended unfinished and whose URL has expired:
        // on S3 their key is deleted once, after the last moment a PUT could land there.
        migrator.registerMigration("v2-swept") { db in
            try db.alter(table: "sessions") { t in t.add(column: "blobSwept", .boolean).notNull().defaults(to: false) }
            try db.execute(sql: "CREATE INDEX sessions_unswept_by_expiry ON sessions (expiresAt) WHERE blobSwept = 0")
        }
        Self.registerSmallBodies(&migrator)
        Self.registerSealedCopies(&migrator)
        return migrator
    }

    /// The HMAC secret of this data directory.
    func signingSecret() async throws -> Data {
        try await pool.read { db in
            try Data.fetchOne(db, sql: "SELECT value FROM settings WHERE name = 'signingSecret'") ?? Data()
        }
    }

    func close() async {}

    /// A lookup through a key or an index that reads a few rows, run on the calling thread.
    ///
    /// GRDB's async `read` moves the block to a reader's dispatch queue and resumes the
    /// caller on another thread: two thread wakes for a lookup that takes tens of
    /// microseconds on pages SQLite and the kernel already cache. Each wake of an idle
    /// thread cost up to 2 ms on this VM, and a lightfield lifecycle makes four such
    /// lookups (the key twice, the session twice) on its critical path. The synchronous
    /// `read` takes a free reader from the pool and runs there inline (a `sync` onto an
    /// idle serial queue runs on the caller's thread). WAL readers never wait for the
    /// writer, so what can hold the thread is only the disk, and only for pages the cache
    /// lost.
    ///
    /// Every read made while the server serves requests must be one of these. An async
    /// `read` keeps its reader until its task resumes on a cooperative thread; with every
    /// reader kept that way and both cooperative threads waiting here for a reader, none
    /// would ever resume. The async reads left (the secret, the blobs referenced) run once,
    /// before the server listens.
    ///
    /// `body` runs one statement. SQLite runs a statement outside a transaction in a read
    /// transaction of its own, so it sees one committed state of the database; GRDB's
    /// `read` would wrap it in `BEGIN DEFERRED` and `COMMIT` as well, for no more isolation
    /// than that: without them the server's CPU per small file fell 7 % (1,644 → 1,520 µs,
    /// four alternated runs of 2,000 × 4 KiB; issue 12).
    func pointRead<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.unsafeRead(body)
    }

    /// Appends to the event log; call inside the transaction that makes the change. A
    /// cached statement: every create, store and complete writes one, and parsing it each
    /// time showed in the server's small-file profile (`sqlite3Parser`).
    static func record(_ db: Database, session: String, _ kind: String, at: Date) throws {
        try db.cachedStatement(sql: "INSERT INTO events (sessionId, kind, at) VALUES (?, ?, ?)")
            .execute(arguments: [session, kind, at.millis])
    }
}
