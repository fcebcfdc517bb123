import Foundation
import GRDB

/// Small bodies kept in the database, in the commit that records their object.
///
/// A body of at most ``smallBodyLimit`` bytes that reaches the server's own storage URL is
/// not given a file: its bytes go into `smallBodies` in the same transaction as the object
/// row that points at them (a blob id with ``DiskBlobStore/inlinePrefix``). As a file it
/// cost a new inode, the file's `fsync`, its link into `blobs/` and the sync of `blobs/`,
/// before the database commit that recorded it; here the one commit (WAL, `synchronous =
/// FULL`) makes bytes and record durable together, so a small PUT waits for one sync
/// instead of three. The rule is the same: the bytes are on disk before the answer.
///
/// Nothing else needs to know: triggers delete a body with the object row that points at
/// it (each body has a fresh id, so one row at most), in the same transaction, whichever
/// write removes or repoints the object (a replacing PUT, a cancel, a failed completion,
/// the sweep), so no body is ever left without its object nor an object without its body.
/// The pages a deleted body frees are reused by later bodies, and each sweep hands back to
/// the file system what is still free (``releaseFreePages()``), so the file shrinks after
/// a burst of bodies has gone.
extension SQLiteStore {
    /// Pages handed back per sweep, at most (8 MiB of 4 KiB pages): the release is a write,
    /// and a large one at once would hold every request's write behind it.
    static let pagesReleasedPerSweep = 2048

    /// Makes a new database file one that can hand its free pages back (`auto_vacuum =
    /// INCREMENTAL`), which SQLite sets only on an empty file not yet in WAL mode: call
    /// from `prepareDatabase`.
    static func newFileReleasesFreePages(_ db: Database) throws {
        guard try Int.fetchOne(db, sql: "PRAGMA page_count") == 0 else { return }
        try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
    }

    /// Converts an older database (made before the file could release pages) with a VACUUM,
    /// which rewrites the whole file: only once its free pages are more than a quarter of
    /// it and 4 MiB, when the rewrite is worth its time. Call before the migrations,
    /// outside a transaction.
    static func convertToReleaseFreePages(_ db: Database) throws {
        guard try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") != 2 else { return }
        let free = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
        let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
        guard free > 1024, free * 4 > pages else { return }
        // Only worth doing, never worth failing a start for: another process busy on the
        // file (a server while `hoist keys create` opens it) leaves it for the next start.
        do {
            try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
            try db.execute(sql: "VACUUM")
        } catch {
            try? db.execute(sql: "PRAGMA auto_vacuum = NONE")
        }
    }

    /// Hands up to ``pagesReleasedPerSweep`` free pages back to the file system (the file
    /// shrinks at the next checkpoint); nothing on a database that cannot (see
    /// ``convertToReleaseFreePages(_:)``).
    func releaseFreePages() async throws {
        try await writes.write { db in
            guard try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0 > 0 else { return }
            try db.execute(sql: "PRAGMA incremental_vacuum(\(Self.pagesReleasedPerSweep))")
        }
    }

    /// Bodies up to this size are kept in the database. SQLite stores a blob of this size
    /// in its row's overflow pages; its own measurements put reading and writing such
    /// blobs from a table ahead of separate files up to about 100 KB.
    var smallBodyLimit: Int? { 64 * 1024 }

    static func registerSmallBodies(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v3-small-bodies") { db in
            try db.execute(sql: """
                CREATE TABLE smallBodies (blobId TEXT PRIMARY KEY NOT NULL, bytes BLOB NOT NULL);
                CREATE TRIGGER smallBodies_objectDeleted AFTER DELETE ON objects
                  WHEN substr(old.blobId, 1, \(DiskBlobStore.inlinePrefix.count)) = '\(DiskBlobStore.inlinePrefix)'
                  BEGIN DELETE FROM smallBodies WHERE blobId = old.blobId; END;
                CREATE TRIGGER smallBodies_objectRepointed AFTER UPDATE OF blobId ON objects
                  WHEN substr(old.blobId, 1, \(DiskBlobStore.inlinePrefix.count)) = '\(DiskBlobStore.inlinePrefix)'
                    AND new.blobId IS NOT old.blobId
                  BEGIN DELETE FROM smallBodies WHERE blobId = old.blobId; END;
                """)
        }
    }

    /// Keeps `bytes` as the body `blobId`; call in the transaction that points an object at it.
    static func insertSmallBody(_ db: Database, blobId: String, bytes: Data) throws {
        try db.cachedStatement(sql: "INSERT INTO smallBodies (blobId, bytes) VALUES (?, ?)")
            .execute(arguments: [blobId, bytes])
    }

    func smallBody(blobId: String) async throws -> Data? {
        try pointRead { db in
            try Data.fetchOne(db.cachedStatement(sql: "SELECT bytes FROM smallBodies WHERE blobId = ?"), arguments: [blobId])
        }
    }
}
