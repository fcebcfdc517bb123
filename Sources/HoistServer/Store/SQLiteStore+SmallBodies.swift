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
/// The database file keeps the pages a deleted body freed, for later bodies to reuse; it
/// does not shrink.
extension SQLiteStore {
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
