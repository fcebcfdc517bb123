import Foundation
import GRDB

/// The journal's record of `add` calls still walking: the paths given and the first one not
/// yet wholly queued. An `add` held at a backlog (`add(backlog:)`) queues a large tree a
/// window at a time, so most of its files have no job row for a long while; this record is
/// what keeps them when the process is killed (a dropped SSH connection takes a foreground
/// `hoist` with it) or leaves them for later: the next start re-adds the rest
/// (``UploadEngine/unfinishedPaths()``), and the files it had already queued are found by
/// their job rows as usual.
extension Journal {
    static func registerWalkTable(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v3-walk") { db in
            try db.execute(sql: """
                CREATE TABLE walk (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, endpoint TEXT NOT NULL,
                    paths BLOB NOT NULL, next INTEGER NOT NULL, updatedAt REAL NOT NULL);
                """)
        }
    }

    /// Records a walk of `paths` (absolute) for `endpoint`, none of them queued yet; its id.
    /// `names`: the name each path was given (`photos` for `a/b/photos` given as such), when
    /// not its last component: a run that takes the walk over names its files the same way.
    /// `replacing`: walks whose paths these are, ended in the same transaction.
    public func beginWalk(endpoint: String, paths: [String], names: [String]? = nil, replacing: [Int64] = []) throws(EngineError) -> Int64 {
        let encoded: Data, encodedNames: Data?
        do {
            encoded = try JSONEncoder().encode(paths)
            encodedNames = try names.map { try JSONEncoder().encode($0) }
        } catch {
            throw .journal("cannot record a walk: \(error)")
        }
        return try write { db in
            try db.execute(sql: "INSERT INTO walk (endpoint, paths, next, updatedAt, owner, names) VALUES (?, ?, 0, ?, ?, ?)",
                           arguments: [endpoint, encoded, Date().timeIntervalSince1970, run?.owner, encodedNames])
            let id = db.lastInsertedRowID
            for old in replacing { try db.execute(sql: "DELETE FROM walk WHERE id = ?", arguments: [old]) }
            return id
        }
    }

    /// Walk `id` has queued every path before index `next`.
    public func advanceWalk(_ id: Int64, next: Int) throws(EngineError) {
        try write { db in
            try db.cachedStatement(sql: "UPDATE walk SET next = ?, updatedAt = ? WHERE id = ?")
                .execute(arguments: [next, Date().timeIntervalSince1970, id])
        }
    }

    /// Walk `id` is over: done, or stopped by the user (nothing of it is to be resumed).
    public func endWalk(_ id: Int64) throws(EngineError) {
        try write { db in try db.execute(sql: "DELETE FROM walk WHERE id = ?", arguments: [id]) }
    }

    /// The paths walk `id` was given; nil when it is gone (ended) or does not decode.
    public func walkPaths(_ id: Int64) throws(EngineError) -> [String]? {
        try read { db in
            guard let data = try Data.fetchOne(db, sql: "SELECT paths FROM walk WHERE id = ?", arguments: [id]) else { return nil }
            return try? JSONDecoder().decode([String].self, from: data)
        }
    }

    /// The names walk `id`'s paths were given; nil when it kept none (each path is named
    /// by its last component) or is gone.
    public func walkNames(_ id: Int64) throws(EngineError) -> [String]? {
        try read { db in
            guard let data = try Data?.fetchOne(db, sql: "SELECT names FROM walk WHERE id = ?", arguments: [id]) ?? nil else { return nil }
            return try? JSONDecoder().decode([String].self, from: data)
        }
    }

    /// The paths the unfinished walks of `endpoint` had not yet queued, oldest walk first,
    /// and the walks' ids (for ``endWalk(_:)`` once the caller has them in hand); not those
    /// of a run that still lives (it is walking them now). A run takes on the walks it
    /// returns (``claim(_:id:owner:_:)``).
    /// `names`: the name of each path (in `paths`' order), its last component where the
    /// walk kept none.
    public func unfinishedWalks(endpoint: String) throws(EngineError) -> (ids: [Int64], paths: [String], names: [String]) {
        try write { db in
            var ids: [Int64] = [], paths: [String] = [], names: [String] = []
            for row in try Row.fetchAll(db, sql: "SELECT id, paths, next, owner, names FROM walk WHERE endpoint = ? ORDER BY id", arguments: [endpoint])
            where try claim("walk", id: row["id"], owner: row["owner"], db) {
                ids.append(row["id"])
                let data: Data = row["paths"]
                let next: Int = row["next"]
                // A record that does not decode is dropped with the rest, not fatal to a start.
                guard let given = try? JSONDecoder().decode([String].self, from: data) else { continue }
                let named = (row["names"] as Data?).flatMap { try? JSONDecoder().decode([String].self, from: $0) }
                for index in given.indices.dropFirst(max(0, next)) {
                    paths.append(given[index])
                    names.append(named.flatMap { index < $0.count ? $0[index] : nil } ?? (given[index] as NSString).lastPathComponent)
                }
            }
            return (ids, paths, names)
        }
    }
}
