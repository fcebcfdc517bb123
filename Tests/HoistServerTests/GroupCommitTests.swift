import Foundation
import GRDB
import HoistTestSupport
import Testing

@testable import HoistServer

@Suite("Group commit")
struct GroupCommitTests {
    struct Refused: Error {}

    private func makePool() throws -> (DatabasePool, String) {
        let dir = try TempDirectory.make(prefix: "hoist-group")
        let pool = try DatabasePool(path: dir + "/t.sqlite")
        try pool.write { db in try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY)") }
        return (pool, dir)
    }

    @Test("the server's SQLite store syncs every commit to the disk (synchronous = FULL), not only to the kernel")
    func storeCommitsReachTheDisk() throws {
        let dir = try TempDirectory.make(prefix: "hoist-store")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(directory: dir)
        // GRDB's WAL setup leaves NORMAL (1); 2 is FULL, which syncs the WAL at each commit.
        let level = try store.pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(level == 2)
        let mode = try store.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }

    @Test("concurrent writes all land; a failing one rolls back only its own changes")
    func failuresStayInTheirSavepoint() async throws {
        let (pool, dir) = try makePool()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let group = GroupCommit(pool: pool)
        let outcomes = await withTaskGroup(of: (Int, Bool).self) { tasks in
            for n in 1...200 {
                tasks.addTask {
                    do {
                        try await group.write { db in
                            try db.execute(sql: "INSERT INTO t (n) VALUES (?)", arguments: [n])
                            // Every seventh write fails after changing the database.
                            if n % 7 == 0 { throw Refused() }
                        }
                        return (n, true)
                    } catch {
                        return (n, false)
                    }
                }
            }
            var all: [Int: Bool] = [:]
            for await (n, ok) in tasks { all[n] = ok }
            return all
        }
        let stored = try await pool.read { db in try Int.fetchSet(db, sql: "SELECT n FROM t") }
        #expect(stored == Set((1...200).filter { $0 % 7 != 0 }))
        #expect(outcomes.filter { !$0.value }.keys.sorted() == (1...200).filter { $0 % 7 == 0 })
    }

    @Test("a lone write that fails rolls back, and the next lone write commits")
    func loneFailureThenWrite() async throws {
        let (pool, dir) = try makePool()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let group = GroupCommit(pool: pool)
        await #expect(throws: Refused.self) {
            try await group.write { db in
                try db.execute(sql: "INSERT INTO t (n) VALUES (1)")
                throw Refused()
            }
        }
        // A leader that failed must leave no commit marked in progress, or this would wait forever.
        try await group.write { db in try db.execute(sql: "INSERT INTO t (n) VALUES (2)") }
        let stored = try await pool.read { db in try Int.fetchAll(db, sql: "SELECT n FROM t") }
        #expect(stored == [2])
    }

    @Test("writes that arrive while a commit runs wait for the next one and land, except one that fails in its savepoint")
    func arrivalsDuringACommit() async throws {
        let (pool, dir) = try makePool()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let group = GroupCommit(pool: pool)
        let inside = AsyncStream<Void>.makeStream()
        let release = DispatchSemaphore(value: 0)
        // The first write holds its commit open until the others have been issued.
        async let first: Void = group.write { db in
            try db.execute(sql: "INSERT INTO t (n) VALUES (0)")
            inside.continuation.yield()
            release.wait()
        }
        var entered = inside.stream.makeAsyncIterator()
        _ = await entered.next()
        // (Not a test of its own: a second test holding a cooperative thread in `wait` at
        // the same time would leave none on a 2-core machine.)
        let late = Task {
            await withTaskGroup(of: (Int, Bool).self) { tasks in
                for n in 1...20 {
                    tasks.addTask {
                        do {
                            try await group.write { db in
                                try db.execute(sql: "INSERT INTO t (n) VALUES (?)", arguments: [n])
                                // One of the group fails after changing the database.
                                if n == 13 { throw Refused() }
                            }
                            return (n, true)
                        } catch {
                            return (n, false)
                        }
                    }
                }
                return await tasks.reduce(into: [Int]()) { failed, outcome in if !outcome.1 { failed.append(outcome.0) } }
            }
        }
        while group.waiting < 20 { try await Task.sleep(for: .milliseconds(1)) }
        // None of the late writes can commit while the first holds the writer.
        let during = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") }
        #expect(during == 0)
        release.signal()
        try await first
        #expect(await late.value == [13])
        let stored = try await pool.read { db in try Int.fetchSet(db, sql: "SELECT n FROM t") }
        #expect(stored == Set(0...20).subtracting([13]))
    }

    @Test("a write's value comes back only once it is committed, visible to a fresh reader")
    func valueAfterCommit() async throws {
        let (pool, dir) = try makePool()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let group = GroupCommit(pool: pool)
        for n in 1...20 {
            let id = try await group.write { db -> Int64 in
                try db.execute(sql: "INSERT INTO t (n) VALUES (?)", arguments: [n])
                return db.lastInsertedRowID
            }
            #expect(id == Int64(n))
            let seen = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") }
            #expect(seen == n)
        }
    }
}
