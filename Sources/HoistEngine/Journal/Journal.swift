import Foundation
import GRDB

/// The crash journal: every job, its session and how far it got, in SQLite (WAL).
///
/// Writes are small single-row transactions; with WAL and `synchronous = NORMAL` a kill
/// never corrupts it and loses at most the last write, which the resume rules tolerate.
public struct Journal: Sendable {
    private let db: any DatabaseWriter
    /// This process's claim on the rows it works on (``JournalRun``): nil for a journal
    /// opened to read or to clean up, and in memory.
    let run: JournalRun?
    /// Where the journal lives (nil in memory): its runs' locks are beside it.
    let path: String?

    /// Opens (creating if needed) the journal at `path`. `claiming`: as a run that uploads,
    /// whose unfinished rows no other run may take while it lives (``JournalRun``).
    /// `waiting`: how long a write waits for another process's to end before it fails.
    public static func open(path: String, claiming: Bool = false, waiting: TimeInterval = 10) throws(EngineError) -> Journal {
        do {
            try makeDirectory((path as NSString).deletingLastPathComponent)
            var config = Configuration()
            config.busyMode = .timeout(waiting)
            config.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                // The pool's readers make one-off reads (the history, what is unfinished, a
                // walk's paths), each of which filled a cache of SQLite's default 2 MiB
                // (3.7 MiB of the TUI's heap once it read back the walks of a 100,000-file
                // `u`). The writer, whose lookups admit every file, keeps the default.
                if db.configuration.readonly { try db.execute(sql: "PRAGMA cache_size = -256") }
            }
            let pool = try DatabasePool(path: path, configuration: config)
            // One spelling of the journal for every run (a link to it, a relative path), or
            // their locks would be in different directories and each would think the other dead.
            let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            return try Journal(pool, path: resolved, run: claiming ? JournalRun(journalPath: resolved) : nil)
        } catch let error as EngineError {
            throw error
        } catch {
            throw .journal("cannot open \(path): \(error)")
        }
    }

    /// Makes `directory` and those above it that are missing, or says in one line which
    /// could not be made and why (`permission denied`), not Foundation's error dump.
    private static func makeDirectory(_ directory: String) throws(EngineError) {
        var made = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/") {
            made += "/" + component
            if mkdir(made, 0o755) != 0, errno != EEXIST {
                throw .journal("cannot create the directory \(made): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// A journal that lives only as long as the process (tests, `--no-journal` uses).
    public static func inMemory() throws(EngineError) -> Journal {
        do { return try Journal(DatabaseQueue(), path: nil, run: nil) } catch { throw .journal("\(error)") }
    }

    private init(_ db: any DatabaseWriter, path: String?, run: JournalRun?) throws {
        self.db = db
        self.path = path
        self.run = run
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE job (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    endpoint TEXT NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL, mtime INTEGER NOT NULL,
                    state TEXT NOT NULL, requestedName TEXT, intentAt REAL, session BLOB, md5 TEXT, error TEXT,
                    updatedAt REAL NOT NULL);
                CREATE INDEX job_identity ON job(endpoint, path, size, mtime);
                """)
        }
        Self.registerMultipartTables(&migrator)
        Self.registerWalkTable(&migrator)
        // For `overwritten`: the completed rows that sent a name, by destination and name.
        migrator.registerMigration("v4-name") { db in
            try db.execute(sql: "CREATE INDEX job_name ON job(endpoint, requestedName) WHERE state = 'completed'")
        }
        Self.registerPartStamps(&migrator)
        // Which run works on a row or walk (``JournalRun``); NULL: a run of before.
        migrator.registerMigration("v6-run-owner") { db in
            try db.execute(sql: "ALTER TABLE job ADD COLUMN owner TEXT; ALTER TABLE walk ADD COLUMN owner TEXT")
        }
        // The file's change stamp when the bytes a row's md5 is of were read; NULL: unknown.
        migrator.registerMigration("v7-job-stamp") { db in
            try db.execute(sql: "ALTER TABLE job ADD COLUMN stamp TEXT")
        }
        // The name each job and walk was given (``JournalEntry/name``); NULL: a row of before.
        migrator.registerMigration("v8-names") { db in
            try db.execute(sql: "ALTER TABLE job ADD COLUMN name TEXT; ALTER TABLE walk ADD COLUMN names BLOB")
        }
        // For `overwritten` across destinations that share objects (an s3 bucket's prefixes).
        migrator.registerMigration("v9-requested-name") { db in
            try db.execute(sql: "CREATE INDEX job_requested ON job(requestedName)")
        }
        try migrator.migrate(db)
    }

    /// The newest row for an endpoint and file identity (arguments: endpoint, path, size, mtime).
    private static let newestRow = "SELECT * FROM job WHERE endpoint = ? AND path = ? AND size = ? AND mtime = ? ORDER BY id DESC LIMIT 1"
    /// Whether another row sent the same name with other bytes after this completed row did
    /// (arguments: endpoint, name, the completed row's id, its md5, its `updatedAt`, the
    /// object space or NULL, and the object its session named or NULL): in a dialect where
    /// the name is the object, that upload replaced this one's object. A row of another
    /// destination counts when its endpoint begins with the object space (an s3 bucket's,
    /// whose keys are the names whatever the prefix), or when its session names the same
    /// object (a Luw final URL, whichever key reached the persona, `--pid` given or not). Later
    /// is by completion, not by row: two runs' rows for one name complete in either order.
    /// A row on its way (its create made or being made) counts whenever it began: its file
    /// would be said stored while the object fills with another's bytes.
    private static let overwritten = """
        SELECT 1 FROM job WHERE requestedName = ?2 AND id != ?3 AND md5 IS NOT ?4
        AND (endpoint = ?1 OR substr(endpoint, 1, length(?6)) = ?6
             OR (?7 IS NOT NULL AND session IS NOT NULL AND json_extract(CAST(session AS TEXT), '$.id') = ?7))
        AND (state IN ('creating', 'uploading', 'completing')
             OR (state = 'completed' AND (updatedAt > ?5 OR (updatedAt = ?5 AND id > ?3)))) LIMIT 1
        """
    /// A new `queued` row (arguments: endpoint, path, size, mtime, updatedAt, owner, name).
    private static let insertQueued = "INSERT INTO job (endpoint, path, size, mtime, state, updatedAt, owner, name) VALUES (?, ?, ?, ?, 'queued', ?, ?, ?)"

    /// Adds a job in state `queued`, the file given `name`, and returns its row id.
    public func insert(endpoint: String, file: FileIdentity, name: String? = nil) throws(EngineError) -> Int64 {
        try write { db in
            try db.cachedStatement(sql: Self.insertQueued).execute(
                arguments: [endpoint, file.path, file.size, file.mtimeNanos, Date().timeIntervalSince1970, run?.owner, name])
            return db.lastInsertedRowID
        }
    }

    /// What the journal knows of each of `files` as they are queued, in one transaction:
    /// the newest row when it is one to go on from (unfinished, or completed), else a new
    /// `queued` row's id. One transaction for many files, because a transaction per file
    /// was most of what queueing a large tree cost (issue 12).
    ///
    /// A new row ends the unfinished rows of the same path left for an earlier version of
    /// the file (changed since a run was killed): they can never be resumed, and each start
    /// would bring the path back. `refused`: paths that cannot be queued now (gone,
    /// unreadable), each with the reason; their unfinished rows end the same way. A row so
    /// ended that holds an S3 multipart upload leaves that upload to `pending_abort`, in the
    /// same transaction: nothing will ever complete it, and its parts cost until aborted.
    ///
    /// `namesAreObjects`: the dialect's object is its name (Luw, s3), so a completed row
    /// answers for its file only while no later upload to the same destination sent the
    /// same name with other bytes (`a/x.png`, then `b/x.png`, then `a/x.png` again), or is
    /// sending it now (the file is then queued, and meets that upload as a name clash when
    /// it runs in the same engine).
    ///
    /// `stamps`: each file's change stamp now, where known (in `files`' order). A completed
    /// row whose stamp is another answers for nothing: the file was written since its upload
    /// though its size and mtime say otherwise (`touch -r`, `cp -p`, a file renamed over it).
    ///
    /// `objectSpace`: where names are objects beyond this destination, what the endpoints of
    /// the destinations that share them begin with (s3: `s3:https://host/bucket/`, as
    /// `P/p/` with `a/x.txt` and `P/p/a/` with `x.txt` both send key `P/p/a/x.txt`); an
    /// upload there of the same name with other bytes replaced the object too.
    ///
    /// `sessionNamesObject`: a session's id is its object's address, the same whichever
    /// destination made it (Luw's final URL, `<cdn>/luwai/<pid>/<name>`: every key of a
    /// persona reaches it, and a key's default persona is known only from it); a later
    /// upload whose session has the completed row's id replaced the object too.
    ///
    /// `names`: the name each file is given now (in `files`' order), kept in its new row.
    /// Where names are objects, a row of the file under another name answers for nothing
    /// either (the names compared as `objectName` makes them the store's: Luw keeps only
    /// the last component): that object is not the one asked for (`2024/a.jpg`, then `photos/2024/a.jpg`),
    /// so the file is uploaded under the new name, and an unfinished row of the old one
    /// ends (its multipart upload aborted). Rows of an older hoist, which kept no name, are
    /// trusted as before.
    public func admit(endpoint: String, files: [FileIdentity], stamps: [FileIdentity.ChangeStamp?] = [],
                      names: [String] = [], refused: [(path: String, reason: String)] = [],
                      namesAreObjects: Bool = false, objectName: (String) -> String = { $0 },
                      objectSpace: String? = nil, sessionNamesObject: Bool = false) throws(EngineError) -> Admitted {
        try write { db in
            let newest = try db.cachedStatement(sql: Self.newestRow)
            let insert = try db.cachedStatement(sql: Self.insertQueued)
            let overwritten = try db.cachedStatement(sql: Self.overwritten)
            let claim = try db.cachedStatement(sql: "UPDATE job SET owner = ? WHERE id = ?")
            let now = Date().timeIntervalSince1970
            var firstNew: Int64?
            let admissions = try files.enumerated().map { index, file in
                let arguments: StatementArguments = [endpoint, file.path, file.size, file.mtimeNanos]
                let name = index < names.count ? names[index] : nil
                if let found = try Row.fetchOne(newest, arguments: arguments),
                   !Self.rewritten(found, now: index < stamps.count ? stamps[index] : nil),
                   !(namesAreObjects && Self.renamed(found, to: name, objectName: objectName)) {
                    let row = Self.entry(found)
                    if !row.state.isFinal {
                        // Another run uploads it now: not this one's to take.
                        let owner: String? = found["owner"]
                        if let owner, isLiveOther(owner) { return Admission.elsewhere(pid: JournalRun.pid(of: owner)) }
                        if let run, owner != run.owner { try claim.execute(arguments: [run.owner, row.rowID]) }
                    }
                    if row.state == .completed || !row.state.isFinal {
                        let completedAt: Double = found["updatedAt"]
                        let replaced = try namesAreObjects && row.state == .completed && row.requestedName.map {
                            let object = sessionNamesObject ? row.session?.id : nil
                            return try Bool.fetchOne(overwritten, arguments: [endpoint, $0, row.rowID, row.md5, completedAt, objectSpace, object]) ?? false
                        } ?? false
                        if !replaced { return Admission.known(row) }
                    }
                }
                try insert.execute(arguments: arguments + [now, run?.owner, name])
                let row = db.lastInsertedRowID
                firstNew = firstNew ?? row
                return Admission.new(row: row)
            }
            var ended: [(session: Data, reason: String)] = []
            // One statement for the batch: one per file added a third to what admitting cost.
            if let firstNew {
                let rows = try Row.fetchAll(db.cachedStatement(sql: Self.superseded), arguments: [endpoint, firstNew])
                ended += try end(rows, reason: Self.supersededReason, now: now, db)
            }
            let unfinished = try db.cachedStatement(sql: Self.unfinishedOfPath)
            for (path, reason) in refused {
                ended += try end(Row.fetchAll(unfinished, arguments: [endpoint, path]), reason: reason, now: now, db)
            }
            var abortsQueued = 0
            for (data, reason) in ended {
                guard let session = try? JSONDecoder().decode(RemoteSession.self, from: data), session.multipart != nil else { continue }
                try Self.queueAbort(db, endpoint: endpoint, session: data, error: reason)
                abortsQueued += 1
            }
            return Admitted(admissions: admissions, abortsQueued: abortsQueued)
        }
    }

    /// Whether `row` was given another object's name than `name` (neither unknown).
    private static func renamed(_ row: Row, to name: String?, objectName: (String) -> String) -> Bool {
        guard let name, let then = row["name"] as String? else { return false }
        return then != name && objectName(then) != objectName(name)
    }

    /// Whether a completed row's bytes are not the file's any more: it was written since,
    /// its change stamp says (not known on either side: trusted, as before stamps were kept).
    private static func rewritten(_ row: Row, now: FileIdentity.ChangeStamp?) -> Bool {
        guard let now, row["state"] as String? == JournalEntry.State.completed.rawValue, let then = row["stamp"] as String? else {
            return false
        }
        // The change time and the inode; not the device, whose number a remount (NFS, a
        // disk plugged in again) may change while the file is the same.
        return then.split(separator: ":").prefix(2) != now.journalText.split(separator: ":").prefix(2)
    }

    /// What ``admit(endpoint:files:refused:)`` did.
    public struct Admitted: Sendable {
        /// One for each file, in order.
        public var admissions: [Admission]
        /// Multipart uploads of ended rows, now in `pending_abort`.
        public var abortsQueued: Int
    }

    /// The unfinished rows of a path (arguments: endpoint, path).
    private static let unfinishedOfPath = """
        SELECT id, owner FROM job WHERE endpoint = ? AND path = ? AND state NOT IN ('completed', 'cancelled', 'failed')
        """
    /// The unfinished rows older than a batch's new rows of the same paths (arguments:
    /// endpoint, the batch's first new row).
    private static let superseded = """
        SELECT id, owner FROM job WHERE endpoint = ?1 AND id < ?2 AND state NOT IN ('completed', 'cancelled', 'failed')
        AND path IN (SELECT path FROM job WHERE id >= ?2)
        """

    /// Fails `rows` (`id`, `owner`) for `reason`, but those another live run is uploading:
    /// that run's row is its own to end (its file changed under it, which it finds out).
    /// Returns the sessions of the rows ended.
    private func end(_ rows: [Row], reason: String, now: TimeInterval, _ db: Database) throws -> [(session: Data, reason: String)] {
        var sessions: [(session: Data, reason: String)] = []
        let fail = try db.cachedStatement(sql: "UPDATE job SET state = 'failed', error = ?, updatedAt = ? WHERE id = ? RETURNING session")
        for row in rows where !((row["owner"] as String?).map(isLiveOther) ?? false) {
            if let session = try Data?.fetchOne(fail, arguments: [reason, now, row["id"] as Int64]) ?? nil { sessions.append((session, reason)) }
        }
        return sessions
    }
    /// Why an unfinished row of an earlier version of a file ended.
    static let supersededReason = "the file changed before its upload could resume; it was queued again"

    /// How ``admit(endpoint:files:)`` found one file.
    public enum Admission: Sendable, Equatable {
        /// Never uploaded, or last failed or cancelled: a new `queued` row.
        case new(row: Int64)
        /// Completed, or left unfinished by an earlier run: its newest row.
        case known(JournalEntry)
        /// Unfinished, and another run that still lives (process `pid`) uploads it now.
        case elsewhere(pid: String)
    }

    /// The process id of another live run uploading this file now (its newest row is
    /// unfinished and that run's), if any.
    public func otherRun(endpoint: String, file: FileIdentity) throws(EngineError) -> String? {
        let owner = try read { db in
            try Row.fetchOne(db, sql: Self.newestRow, arguments: [endpoint, file.path, file.size, file.mtimeNanos])
                .flatMap { row -> String? in
                    let state = JournalEntry.State(rawValue: row["state"]) ?? .failed
                    return state.isFinal ? nil : row["owner"]
                }
        }
        guard let owner, isLiveOther(owner) else { return nil }
        return JournalRun.pid(of: owner)
    }

    /// This run is over: its unfinished rows and walks are the next run's to take on.
    public func endRun() { run?.end() }

    /// Whether `owner` names a run other than this one that still lives. A journal opened
    /// to read claims nothing and sees every row (`hoist gc` keeps a live run's uploads).
    func isLiveOther(_ owner: String) -> Bool {
        guard let path, let run, owner != run.owner else { return false }
        return JournalRun.isAlive(owner, journalPath: path)
    }

    /// Moves the unfinished work a journal of an earlier hoist kept under `legacy` (the
    /// endpoint alone) to `destination`, in one transaction: jobs not ended, walks cut short
    /// and aborts still to do, so that they resume, or their sessions are cancelled, as
    /// after any kill. Completed rows stay where they are: an endpoint alone cannot tell
    /// whose or which purpose's upload they were, so they answer for no file.
    public func adoptUnfinished(from legacy: String, to destination: String) throws(EngineError) {
        guard legacy != destination else { return }
        try write { db in
            try db.execute(sql: "UPDATE job SET endpoint = ? WHERE endpoint = ? AND state NOT IN ('completed', 'cancelled', 'failed')",
                           arguments: [destination, legacy])
            try db.execute(sql: "UPDATE walk SET endpoint = ? WHERE endpoint = ?", arguments: [destination, legacy])
            try db.execute(sql: "UPDATE pending_abort SET endpoint = ? WHERE endpoint = ?", arguments: [destination, legacy])
        }
    }

    /// Records a step. Only the fields given change; `session: .some(nil)` is not needed by any caller.
    public func update(
        _ rowID: Int64, state: JournalEntry.State, requestedName: String? = nil, intentAt: Date? = nil,
        session: RemoteSession? = nil, md5: String? = nil, stamp: FileIdentity.ChangeStamp? = nil, error: String? = nil
    ) throws(EngineError) {
        let sessionData = session.flatMap { try? JSONEncoder().encode($0) }
        try writeOneStatement { db in
            // Cached: preparing the statement cost as much as running it, several times per file.
            try db.cachedStatement(
                sql: """
                    UPDATE job SET state = ?, requestedName = COALESCE(?, requestedName), intentAt = COALESCE(?, intentAt),
                    session = COALESCE(?, session), md5 = COALESCE(?, md5), stamp = COALESCE(?, stamp),
                    error = COALESCE(?, error), updatedAt = ?
                    WHERE id = ?
                    """
            ).execute(
                arguments: [state.rawValue, requestedName, intentAt?.timeIntervalSince1970, sessionData, md5, stamp?.journalText,
                            error, Date().timeIntervalSince1970, rowID])
        }
    }

    /// The newest row for this endpoint and file identity.
    public func latest(endpoint: String, file: FileIdentity) throws(EngineError) -> JournalEntry? {
        try read { db in
            try Row.fetchOne(
                db.cachedStatement(
                    sql: Self.newestRow),
                arguments: [endpoint, file.path, file.size, file.mtimeNanos]
            ).map(Self.entry)
        }
    }

    /// Every row whose newest state is not final, for one endpoint (the TUI restores these),
    /// but those another live run is uploading now. A run takes on the rows it returns
    /// (``claim(_:id:owner:_:)``).
    public func unfinished(endpoint: String) throws(EngineError) -> [JournalEntry] {
        try write { db in
            try Row.fetchAll(
                db, sql: """
                    SELECT * FROM job WHERE endpoint = ? AND state NOT IN ('completed', 'cancelled', 'failed')
                    AND id = (SELECT MAX(id) FROM job AS j WHERE j.endpoint = job.endpoint AND j.path = job.path
                              AND j.size = job.size AND j.mtime = job.mtime)
                    ORDER BY id
                    """, arguments: [endpoint]
            ).filter { row in try claim("job", id: row["id"], owner: row["owner"], db) }.map(Self.entry)
        }
    }

    /// Whether this journal's run may take on the row or walk of `table` that `owner` left,
    /// claiming it (in the caller's write transaction) when it may: not while another run
    /// that owns it lives. Claimed as it is read, so that of two runs starting at once on
    /// a killed one's work, each row and walk goes to one; the other would find every file
    /// of it `elsewhere`. A journal opened only to read (no run) claims nothing.
    func claim(_ table: String, id: Int64, owner: String?, _ db: Database) throws -> Bool {
        if let owner, isLiveOther(owner) { return false }
        guard let run, owner != run.owner else { return true }
        try db.execute(sql: "UPDATE \(table) SET owner = ? WHERE id = ? AND owner IS ?", arguments: [run.owner, id, owner])
        return db.changesCount == 1
    }

    /// The newest completed rows for one endpoint, newest first: what earlier runs uploaded.
    public func completed(endpoint: String, limit: Int) throws(EngineError) -> [JournalEntry] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM job WHERE endpoint = ? AND state = 'completed' ORDER BY id DESC LIMIT ?",
                arguments: [endpoint, limit]
            ).map(Self.entry)
        }
    }

    private static func entry(_ row: Row) -> JournalEntry {
        let sessionData: Data? = row["session"]
        let intent: Double? = row["intentAt"]
        return JournalEntry(
            rowID: row["id"], endpoint: row["endpoint"],
            file: FileIdentity(path: row["path"], size: row["size"], mtimeNanos: row["mtime"]),
            state: JournalEntry.State(rawValue: row["state"]) ?? .failed,
            requestedName: row["requestedName"], intentAt: intent.map(Date.init(timeIntervalSince1970:)),
            session: sessionData.flatMap { try? JSONDecoder().decode(RemoteSession.self, from: $0) },
            md5: row["md5"], error: row["error"], name: row["name"])
    }

    func write<T>(_ body: (Database) throws -> T) throws(EngineError) -> T {
        do { return try db.write(body) } catch { throw .journal("\(error)") }
    }

    /// Runs a write of one statement in SQLite's own transaction (autocommit), which makes
    /// it as atomic as `write`'s, without GRDB's BEGIN and COMMIT statements around it. A
    /// job records three steps this way: 2,000 small files took 2.32 s of the client's CPU
    /// instead of 2.44 s (alternated runs, three each).
    func writeOneStatement<T>(_ body: (Database) throws -> T) throws(EngineError) -> T {
        do { return try db.writeWithoutTransaction(body) } catch { throw .journal("\(error)") }
    }

    func read<T>(_ body: (Database) throws -> T) throws(EngineError) -> T {
        do { return try db.read(body) } catch { throw .journal("\(error)") }
    }
}
