import Foundation
import GRDB

/// The journal's record of multipart uploads: each finished part (written before the next
/// is counted), and aborts that failed and must be tried again.
extension Journal {
    static func registerMultipartTables(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2-multipart") { db in
            try db.execute(sql: """
                CREATE TABLE part (
                    job INTEGER NOT NULL, upload TEXT NOT NULL, number INTEGER NOT NULL,
                    etag TEXT NOT NULL, md5 TEXT, size INTEGER NOT NULL,
                    PRIMARY KEY (job, upload, number));
                CREATE TABLE pending_abort (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, endpoint TEXT NOT NULL, session BLOB NOT NULL,
                    error TEXT, updatedAt REAL NOT NULL);
                """)
        }
    }

    /// The file's change stamp when the part's read began: a part is trusted by its ETag
    /// alone only while the file still has that stamp (see `MultipartUploader.reconcile`).
    static func registerPartStamps(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v5-part-stamp") { db in
            try db.execute(sql: "ALTER TABLE part ADD COLUMN stamp TEXT")
        }
    }

    /// Records a part the store acknowledged for job row `row`'s upload `uploadID`.
    /// `stamp`: the file's change stamp from before its bytes were read.
    public func recordPart(row: Int64, uploadID: String, _ part: UploadedPart, stamp: FileIdentity.ChangeStamp?) throws(EngineError) {
        try write { db in
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO part (job, upload, number, etag, md5, size, stamp) VALUES (?, ?, ?, ?, ?, ?, ?)")
                .execute(arguments: [row, uploadID, part.number, part.etag, part.md5, part.size, stamp?.journalText])
        }
    }

    /// The parts recorded for `uploadID` of row `row`, by number.
    public func parts(row: Int64, uploadID: String) throws(EngineError) -> [UploadedPart] {
        try journaledParts(row: row, uploadID: uploadID).map(\.part)
    }

    /// The parts recorded for `uploadID` of row `row`, by number, each with the change stamp
    /// it was read under (none for parts journaled before stamps were kept).
    public func journaledParts(row: Int64, uploadID: String) throws(EngineError) -> [(part: UploadedPart, stamp: String?)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM part WHERE job = ? AND upload = ? ORDER BY number", arguments: [row, uploadID])
                .map { (UploadedPart(number: $0["number"], etag: $0["etag"], size: $0["size"], md5: $0["md5"]), $0["stamp"]) }
        }
    }

    /// Forgets parts the store does not hold (after reconciling with `ListParts`).
    public func removeParts(row: Int64, uploadID: String, numbers: [Int]) throws(EngineError) {
        guard !numbers.isEmpty else { return }
        try write { db in
            for number in numbers {
                try db.execute(sql: "DELETE FROM part WHERE job = ? AND upload = ? AND number = ?", arguments: [row, uploadID, number])
            }
        }
    }

    /// Keeps an abort that failed, for the next run to try again.
    public func addPendingAbort(endpoint: String, session: RemoteSession, error: String) throws(EngineError) {
        let data = (try? JSONEncoder().encode(session)) ?? Data()
        try write { db in try Self.queueAbort(db, endpoint: endpoint, session: data, error: error) }
    }

    /// Adds an abort to do (`session`: an encoded ``RemoteSession``), inside the caller's transaction.
    static func queueAbort(_ db: Database, endpoint: String, session: Data, error: String) throws {
        try db.execute(sql: "INSERT INTO pending_abort (endpoint, session, error, updatedAt) VALUES (?, ?, ?, ?)",
                       arguments: [endpoint, session, error, Date().timeIntervalSince1970])
    }

    /// Ends rows a run left `cancelling` (killed, or its client hung up, while the server's
    /// cancel was under way) as `cancelled`, and queues the cancel of each one's session
    /// that `cancellable` accepts for ``pendingAborts(endpoint:)``, in one transaction.
    /// Returns how many aborts it queued. Resumed instead, such a row made a new session and
    /// uploaded the file the user had cancelled.
    public func endCancelling(_ rows: [JournalEntry], endpoint: String,
                              cancellable: (RemoteSession) -> Bool) throws(EngineError) -> Int {
        let cancelling = rows.filter { $0.state == .cancelling }
        guard !cancelling.isEmpty else { return 0 }
        return try write { db in
            var queued = 0
            for row in cancelling {
                try db.execute(sql: "UPDATE job SET state = 'cancelled', updatedAt = ? WHERE id = ? AND state = 'cancelling'",
                               arguments: [Date().timeIntervalSince1970, row.rowID])
                guard db.changesCount == 1, let session = row.session, cancellable(session),
                      let data = try? JSONEncoder().encode(session) else { continue }
                try Self.queueAbort(db, endpoint: endpoint, session: data, error: "cancelled by a run that ended before the server answered")
                queued += 1
            }
            return queued
        }
    }

    /// Aborts still to do for `endpoint`: (id, session).
    public func pendingAborts(endpoint: String) throws(EngineError) -> [(id: Int64, session: RemoteSession)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT id, session FROM pending_abort WHERE endpoint = ? ORDER BY id", arguments: [endpoint])
                .compactMap { row in
                    let data: Data = row["session"]
                    return (try? JSONDecoder().decode(RemoteSession.self, from: data)).map { (id: row["id"], session: $0) }
                }
        }
    }

    public func removePendingAbort(id: Int64) throws(EngineError) {
        try write { db in try db.execute(sql: "DELETE FROM pending_abort WHERE id = ?", arguments: [id]) }
    }

    /// Upload ids of multipart uploads an unfinished job of `endpoint` still owns: `hoist gc`
    /// never aborts these.
    public func ownedUploadIDs(endpoint: String) throws(EngineError) -> Set<String> {
        Set(try unfinished(endpoint: endpoint).compactMap { $0.session?.multipart?.uploadID })
    }

    /// ``ownedUploadIDs(endpoint:)`` of every destination whose key begins with `prefix`:
    /// for `hoist gc`, the jobs under every S3 prefix of one bucket, since its listing
    /// under a shorter prefix (or none) meets their uploads too.
    public func ownedUploadIDs(endpointsStartingWith prefix: String) throws(EngineError) -> Set<String> {
        let endpoints = try read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT endpoint FROM job WHERE state NOT IN ('completed', 'cancelled', 'failed')")
        }
        var owned = Set<String>()
        for endpoint in endpoints where endpoint.hasPrefix(prefix) { owned.formUnion(try ownedUploadIDs(endpoint: endpoint)) }
        return owned
    }
}
