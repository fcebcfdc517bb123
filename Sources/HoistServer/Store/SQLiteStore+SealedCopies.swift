import Foundation
import GRDB

/// The sealed copies a Luw finalize makes in an S3 bucket, noted before each copy is made
/// (``MetadataStore/noteSealedCopy(_:now:)``): a copy whose instance died before its commit
/// is then on record, and the sweeper deletes it once it is surely nobody's.
extension SQLiteStore {
    static func registerSealedCopies(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v4-sealed-copies") { db in
            try db.execute(sql: "CREATE TABLE sealedCopies (blobId TEXT PRIMARY KEY NOT NULL, madeAt INTEGER NOT NULL)")
        }
    }

    func noteSealedCopy(_ blobId: String, now: Date) async throws {
        try await writes.write { db in
            // A copy noted already keeps its time: a DELETE that fails again is not put off.
            try db.execute(sql: "INSERT OR IGNORE INTO sealedCopies (blobId, madeAt) VALUES (?, ?)", arguments: [blobId, now.millis])
        }
    }

    func forgetSealedCopies(_ blobIds: [String]) async throws {
        guard !blobIds.isEmpty else { return }
        try await writes.write { db in
            for id in blobIds { try db.execute(sql: "DELETE FROM sealedCopies WHERE blobId = ?", arguments: [id]) }
        }
    }

    /// In the sweep's transaction: forgets the copies noted before `before` that an object
    /// records, and returns (oldest first) those none does, which the sweeper deletes.
    static func abandonedCopies(_ db: Database, before: Date) throws -> [String] {
        try db.execute(sql: """
            DELETE FROM sealedCopies WHERE madeAt <= ? AND blobId IN (SELECT blobId FROM objects)
            """, arguments: [before.millis])
        return try String.fetchAll(db, sql: """
            SELECT blobId FROM sealedCopies WHERE madeAt <= ? ORDER BY madeAt LIMIT \(SweepOutcome.endedPerSweep)
            """, arguments: [before.millis])
    }
}
