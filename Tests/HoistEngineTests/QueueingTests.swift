import Foundation
import HoistTestSupport
import Testing

@testable import HoistEngine

/// Queueing streams (issue 12): a tree is walked lazily in path order, the queue takes and
/// drops jobs in constant time, and a long add can be stopped half-way.
@Suite struct QueueingTests {
    @Test func theWalkYieldsEveryRegularFileInFullPathOrder() throws {
        let root = try TempDirectory.make(prefix: "walk")
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Names around `/` in byte order (`-` < `.` < `/` < `0`): a per-directory sort that
        // ignored where a directory's contents fall among full paths would misplace them.
        let files = ["a-b", "a.b", "a/x", "a/y/z", "a0", "b", "a.c/inner", "z/deep/er/file", "Z"]
        for file in files {
            let path = root + "/" + file
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try TestFiles.write("x", to: path)
        }
        // Skipped: hidden entries, links, a FIFO, an empty directory.
        try TestFiles.write("h", to: root + "/.hidden")
        try FileManager.default.createDirectory(atPath: root + "/.git/objects", withIntermediateDirectories: true)
        try TestFiles.write("o", to: root + "/.git/objects/o")
        #expect(symlink(root + "/b", root + "/link-to-b") == 0)
        #expect(symlink(root + "/a", root + "/link-to-a") == 0)
        #expect(mkfifo(root + "/pipe", 0o644) == 0)
        try FileManager.default.createDirectory(atPath: root + "/empty", withIntermediateDirectories: true)

        let walked = Array(DirectoryWalk(root))
        let expected = files.map { root + "/" + $0 }.sorted()
        #expect(walked == expected.map { .file($0) })
    }

    @Test("a path is standardised where it leads, whichever way it is spelled: links with relative targets resolved from their own directory (proj/current -> v2 is proj/v2, not ./v2), missing paths by their text")
    func aPathIsStandardisedWhereItLeads() throws {
        let made = try TempDirectory.make(prefix: "absolute")
        defer { try? FileManager.default.removeItem(atPath: made) }
        let root = try #require(PathStandardizer.resolved(made))
        for directory in ["/real/sub", "/proj/v2", "/v2", "/loops/sub", "/d"] {
            try FileManager.default.createDirectory(atPath: root + directory, withIntermediateDirectories: true)
        }
        try TestFiles.write("f", to: root + "/real/sub/f")
        try TestFiles.write("release 2", to: root + "/proj/v2/app.txt")
        try TestFiles.write("not this one", to: root + "/v2/secret.txt")
        try TestFiles.write("a", to: root + "/a")
        try TestFiles.write("s", to: root + "/loops/sub/s.txt")
        #expect(symlink(root + "/real", root + "/dir-link") == 0)
        #expect(symlink("real/sub/f", root + "/relative-link") == 0)
        #expect(symlink("sub/../sub/f", root + "/real/dotted-link") == 0)
        #expect(symlink(root + "/nowhere", root + "/dangling") == 0)
        #expect(symlink("real", root + "/relative-dir-link") == 0)
        // The shapes that led elsewhere with Foundation's standardizing: a "current release"
        // link, a link to the directory above, a link up and across.
        #expect(symlink("v2", root + "/proj/current") == 0)
        #expect(symlink("..", root + "/loops/sub/loop") == 0)
        #expect(symlink("../a", root + "/d/alink") == 0)
        let expected: [String: String] = [
            "/real/sub/f": "/real/sub/f", "/dir-link/sub/f": "/real/sub/f", "/relative-link": "/real/sub/f",
            "/real/dotted-link": "/real/sub/f", "/real/./sub/f": "/real/sub/f", "/real//sub/f": "/real/sub/f",
            "/real/sub/../sub/f": "/real/sub/f", "/dir-link/../real/sub/f": "/real/sub/f", "/real/sub/": "/real/sub",
            "/dir-link/": "/real", "/real/sub/.": "/real/sub", "/real/sub/..": "/real", "/relative-dir-link/sub/f": "/real/sub/f",
            "/dir-link/sub/../sub/f": "/real/sub/f",
            "/proj/current": "/proj/v2", "/proj/current/app.txt": "/proj/v2/app.txt", "/proj/current/": "/proj/v2",
            "/loops/sub/loop": "/loops", "/loops/sub/loop/sub/s.txt": "/loops/sub/s.txt", "/d/alink": "/a",
            // Not there: the directory that is resolved, the rest as written.
            "/dangling": "/dangling", "/missing/file": "/missing/file", "/proj/current/new.txt": "/proj/v2/new.txt",
            "/missing/../real/x": "/real/x", "/real/..sub": "/real/..sub", "/real/...": "/real/...", "/real/.hidden": "/real/.hidden",
        ]
        // One standardizer for them all, as `add` keeps one for its paths: what it learnt of
        // one directory must not change another path's answer.
        var standardizer = PathStandardizer()
        let spellings = expected.keys.sorted()
        for spelling in spellings + spellings.reversed() {
            #expect(standardizer.absolute(root + spelling) == root + expected[spelling]!, "\(spelling)")
            #expect(UploadEngine.absolute(root + spelling) == root + expected[spelling]!, "\(spelling)")
        }
        for path in ["/", "/bin", "/tmp/"] {
            #expect(standardizer.absolute(path) == PathStandardizer.resolved(path), "\(path)")
        }
        #expect(PathStandardizer.isClean(root + "/real/..sub"))
        #expect(!PathStandardizer.isClean(root + "/real/sub/.."))
    }

    @Test func aDirectoryThatCannotBeListedIsAnEntryWhereItsContentsWouldBe() throws {
        let root = try TempDirectory.make(prefix: "walk")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/gone", withIntermediateDirectories: true)
        try TestFiles.write("a", to: root + "/after")
        try TestFiles.write("b", to: root + "/before")
        let missing = Array(DirectoryWalk(root + "/missing"))
        guard case .refused(let path, let error)? = missing.first, missing.count == 1 else {
            Issue.record("a missing directory walked to \(missing)")
            return
        }
        #expect(path == root + "/missing")
        #expect(error.shortReason == EngineError.unreadableDirectory(path, "").shortReason)
        #expect(Array(DirectoryWalk(root)) == [.file(root + "/after"), .file(root + "/before")])
    }

    @Test func theQueueTakesInOrderAndSkipsEachDropOnce() {
        var queue = JobQueue()
        for id in 1...5 { queue.append(JobID(id)) }
        queue.drop(JobID(2))
        queue.drop(JobID(4))
        #expect(queue.count == 3)
        #expect(queue.popFirst() == JobID(1))
        // Job 4, dropped, is queued again (a retry): its stale place is skipped, the new one taken.
        queue.append(JobID(4))
        #expect(queue.waiting == [JobID(3), JobID(5), JobID(4)])
        // Dropped again before its turn: both places go.
        queue.drop(JobID(4))
        #expect(queue.removeAll() == [JobID(3), JobID(5)])
        #expect(queue.isEmpty)
        #expect(queue.popFirst() == nil)
    }

    @Test func aLargeQueueStaysLinear() {
        var queue = JobQueue()
        let count = 200_000
        for id in 1...count { queue.append(JobID(id)) }
        for id in stride(from: 2, through: count, by: 2) { queue.drop(JobID(id)) }
        // One expectation at the end: this runs on the shared test threads, and 100,000
        // expectations in a debug build would hold one for seconds.
        var taken = 0, last = 0, inOrderAndOdd = true
        while let id = queue.popFirst() {
            inOrderAndOdd = inOrderAndOdd && id.rawValue > last && id.rawValue % 2 == 1
            last = id.rawValue
            taken += 1
        }
        #expect(inOrderAndOdd)
        #expect(taken == count / 2)
    }

    @Test func aTreeOfManyBatchesIsQueuedInPathOrderAndJournaledWhole() async throws {
        try await EngineHarness.with { harness in
            let count = UploadEngine.firstBatch + 2 * UploadEngine.batch + 7
            var paths: [String] = []
            for index in 0..<count {
                paths.append(try harness.file(String(format: "tree/%02d/f-%04d.txt", index % 13, index), size: 10 + index % 50))
            }
            let journal = harness.files + "/journal.sqlite"
            // Paused: what is judged is the queueing (order, ids, journal), not a thousand uploads.
            let engine = try harness.engine(harness.profile(), journal: journal) { $0.startPaused = true }
            let ids = await engine.add(paths: [harness.files + "/tree"])
            #expect(ids.count == count)
            #expect(ids == ids.sorted() && Set(ids).count == count)
            // Every file has its queued row, in path order, before any upload.
            let rows = try Journal.open(path: journal).unfinished(endpoint: "test-endpoint")
            #expect(rows.map(\.file.path) == paths.sorted())
            #expect(rows.allSatisfy { $0.state == .queued })
            await engine.shutdown()
            var queued: [String] = []
            for await event in engine.events { if case .queued = event.kind { queued.append(event.path) } }
            #expect(queued == paths.sorted())
        }
    }

    @Test func aBacklogHoldsTheWalkUntilTheQueueHasRoomAndLosesNothing() async throws {
        try await EngineHarness.with { harness in
            let count = UploadEngine.firstBatch + UploadEngine.batch + 40
            var paths: [String] = []
            for index in 0..<count { paths.append(try harness.file(String(format: "held/f-%05d.txt", index), size: 5)) }
            let journal = harness.files + "/journal.sqlite"
            let engine = try harness.engine(harness.profile(), journal: journal, concurrency: 4) { $0.startPaused = true }
            let backlog = 100
            let adding = Task { await engine.add(paths: [harness.files + "/held"], backlog: backlog) }
            // Paused, nothing leaves the queue: the walk queues its first two batches (the
            // second takes it past the backlog) and then waits for room.
            #expect(await waitUntil { await engine.roomWaiters.count == 1 })
            let held = UploadEngine.firstBatch + UploadEngine.batch
            #expect(await engine.queue.count == held)
            // Only what was queued is journaled: the rest waits its turn on disk.
            #expect(try Journal.open(path: journal).unfinished(endpoint: "test-endpoint").count == held)
            await engine.resume()
            let ids = await adding.value
            #expect(ids.count == count && Set(ids).count == count)
            let events = try await collect(engine, ids, timeout: .seconds(120))
            #expect(ids.allSatisfy { if case .completed = events.terminal($0) { true } else { false } })
            let queued = events.compactMap { event -> String? in if case .queued = event.kind { event.path } else { nil } }
            #expect(queued == paths.sorted())
            // A completed job keeps no record in the engine.
            #expect(await engine.recordCount == 0)
            await engine.shutdown()
        }
    }

    @Test func aWalkHeldForRoomStopsWhenTheQueueIsDropped() async throws {
        try await EngineHarness.with { harness in
            for index in 0..<(3 * UploadEngine.batch) { _ = try harness.file(String(format: "drop/f-%05d.txt", index), size: 5) }
            let engine = try harness.engine(harness.profile()) { $0.startPaused = true }
            let adding = Task { await engine.add(paths: [harness.files + "/drop"], backlog: 10) }
            #expect(await waitUntil { await engine.roomWaiters.count == 1 })
            await engine.cancelQueued()
            let ids = await adding.value
            // The first batch alone reaches a backlog of 10.
            #expect(ids.count == UploadEngine.firstBatch)
            let events = try await collect(engine, ids, timeout: .seconds(60))
            #expect(ids.allSatisfy { if case .cancelled = events.terminal($0) { true } else { false } })
            await engine.shutdown()
        }
    }

    @Test func stoppingTheQueueStopsAnAddStillWalking() async throws {
        try await EngineHarness.with { harness in
            let count = 6 * UploadEngine.batch
            for index in 0..<count { _ = try harness.file(String(format: "many/f-%05d.txt", index), size: 8) }
            let engine = try harness.engine(harness.profile(), concurrency: 2)
            let firstQueued = Task {
                for await event in engine.events { if case .queued = event.kind { return } }
            }
            let adding = Task { await engine.add(paths: [harness.files + "/many"]) }
            await firstQueued.value
            await engine.cancelQueued()
            let ids = await adding.value
            // Whatever was reached has a job, and every job has its end: the contract a
            // script waiting on these ids relies on. Whatever was not reached has no job.
            #expect(ids.count <= count)
            let events = try await collect(engine, ids, timeout: .seconds(60))
            #expect(ids.allSatisfy { events.terminal($0) != nil })
            let jobs = Set(events.map(\.job))
            #expect(jobs.isSubset(of: Set(ids)))
            await engine.shutdown()
        }
    }
}
