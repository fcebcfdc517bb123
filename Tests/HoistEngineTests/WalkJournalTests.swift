import Foundation
import HoistTestSupport
import Testing

@testable import HoistEngine

/// An add held at a backlog leaves most of its files without a job for a long while; the
/// journal's walk record keeps them across a shutdown that keeps what is unfinished (and a
/// kill, which leaves the record the same way), and a walk that ends or that the user stops
/// leaves none.
@Suite struct WalkJournalTests {
    /// Files as the TUI hands them over: one path each, in order.
    private func files(_ harness: EngineHarness, _ folder: String, count: Int) throws -> [String] {
        try (0..<count).map { try harness.file(String(format: "\(folder)/f-%05d.txt", $0), size: 5) }
    }

    /// The walk records the journal at `journal` holds for the tests' endpoint.
    private func walks(_ journal: String) throws -> (ids: [Int64], paths: [String]) {
        let walks = try Journal.open(path: journal).unfinishedWalks(endpoint: "test-endpoint")
        return (walks.ids, walks.paths)
    }

    /// A paused engine journaling at `journal`, with an add of `paths` started and held for
    /// room at `backlog` once this returns.
    private func heldAdd(_ harness: EngineHarness, journal: String, _ paths: [String], backlog: Int,
                         parts: AddParts? = nil) async throws -> (engine: UploadEngine, adding: Task<[JobID], Never>) {
        let engine = try harness.engine(harness.profile(), journal: journal) { $0.startPaused = true }
        let adding = Task { await engine.add(paths: paths, backlog: backlog, parts: parts) }
        #expect(await waitUntil { await engine.roomWaiters.count == 1 })
        return (engine, adding)
    }

    @Test func aHeldWalkKeptAtShutdownComesBackWholeAndEveryFileIsUploaded() async throws {
        try await EngineHarness.with { harness in
            // A backlog of 10: the first batch fills it, and the walk holds with the rest.
            let count = UploadEngine.firstBatch + 40
            let paths = try files(harness, "kept", count: count)
            let journal = harness.files + "/journal.sqlite"
            let (first, adding) = try await heldAdd(harness, journal: journal, paths, backlog: 10)
            let held = UploadEngine.firstBatch
            #expect(await first.queue.count == held)
            await first.shutdown(keepingUnfinished: true)
            #expect(await adding.value.count == held)
            // The jobs it queued are unfinished rows; the rest only the walk knows.
            #expect(try walks(journal).paths == Array(paths[held...]))

            let second = try harness.engine(harness.profile(), journal: journal)
            #expect(await second.unfinishedPaths() == paths)
            // Kept until an add has queued its first batch: a kill before that finds them again.
            #expect(await second.unfinishedPaths() == paths)
            let ids = await second.add(paths: paths, backlog: 10)
            let events = try await collect(second, ids, timeout: .seconds(120))
            #expect(ids.count == count && ids.allSatisfy { if case .completed = events.terminal($0) { true } else { false } })
            await second.shutdown()
            #expect(try walks(journal).ids.isEmpty)
            #expect(await second.unfinishedPaths().isEmpty)
        }
    }

    @Test func aKillBetweenABatchsRowsAndItsWalksAdvanceGivesEachFileBackOnce() async throws {
        try await EngineHarness.with { harness in
            let count = UploadEngine.firstBatch + 40
            let paths = try files(harness, "torn", count: count)
            let journal = harness.files + "/journal.sqlite"
            let (first, adding) = try await heldAdd(harness, journal: journal, paths, backlog: 10)
            await first.shutdown(keepingUnfinished: true)
            _ = await adding.value
            // As if killed after the first batch's rows were committed, before the advance.
            let record = try #require(try walks(journal).ids.first)
            try Journal.open(path: journal).advanceWalk(record, next: 0)
            #expect(try walks(journal).paths == paths)

            let second = try harness.engine(harness.profile(), journal: journal)
            let left = await second.unfinished()
            #expect(left.jobs == Array(paths[..<UploadEngine.firstBatch]))
            #expect(left.walks == Array(paths[UploadEngine.firstBatch...]))
            #expect(await second.unfinishedPaths() == paths)
            await second.shutdown()
        }
    }

    /// The TUI reads an add's paths back from its record at the add's turn instead of
    /// holding them meanwhile.
    @Test func aWalkJournaledBeforeItsAddIsKeptUntilThatAddEndsAndGivesItsPathsBack() async throws {
        try await EngineHarness.with { harness in
            let first = try files(harness, "early", count: 3)
            let later = try files(harness, "late", count: 2)
            let journal = harness.files + "/journal.sqlite"
            let engine = try harness.engine(harness.profile(), journal: journal)
            // Handed over, the adds not begun: a kill now would leave both records.
            let records = [engine.journalWalk(first), engine.journalWalk(later)]
            #expect(try walks(journal).paths == first + later)
            let (early, late) = (try #require(records[0]), try #require(records[1]))
            #expect(try engine.paths(of: early) == first && engine.paths(of: late) == later)
            let ids = await engine.add(paths: first, walk: early)
            _ = try await collect(engine, ids)
            #expect(try walks(journal).paths == later)
            #expect(try engine.paths(of: early) == nil && engine.paths(of: late) == later)
            await engine.shutdown()

            let next = try harness.engine(harness.profile(), journal: journal)
            #expect(await next.unfinishedPaths() == later)
            await next.shutdown()
        }
    }

    @Test func aWalkWhoseLastBatchIsQueuedKeepsNoRecordWhileItWaitsForRoom() async throws {
        try await EngineHarness.with { harness in
            // 32 queued, then the last 10: only then is the backlog of 40 reached.
            let paths = try files(harness, "last", count: UploadEngine.firstBatch + 10)
            let journal = harness.files + "/journal.sqlite"
            let (first, adding) = try await heldAdd(harness, journal: journal, paths, backlog: 40)
            #expect(try walks(journal).ids.isEmpty)
            await first.shutdown(keepingUnfinished: true)
            _ = await adding.value
            // Each file once: as a job to resume, not also as a path the walk had not reached.
            let second = try harness.engine(harness.profile(), journal: journal)
            #expect(await second.unfinishedPaths() == paths)
            await second.shutdown()
        }
    }

    @Test func aWalkTheUserStoppedLeavesNoRecordEvenWhenTheEngineThenKeepsWhatIsUnfinished() async throws {
        try await EngineHarness.with { harness in
            let paths = try files(harness, "dropped", count: UploadEngine.firstBatch + 40)
            let journal = harness.files + "/journal.sqlite"
            let parts = AddParts()
            let (engine, adding) = try await heldAdd(harness, journal: journal, paths, backlog: 10, parts: parts)
            // Cancel all, then `k` at the quit question: the dropped walk is not unfinished.
            parts.stop()
            await engine.shutdown(keepingUnfinished: true)
            _ = await adding.value
            #expect(try walks(journal).ids.isEmpty)
        }
    }

    /// The TUI and a new background engine journal a killed run's walks anew and hand them
    /// over as an add that waits its turn. A cancel of everything (or Ctrl-C's drop of what
    /// is queued) before that add has begun must drop the old records too, not leave them
    /// for the next start.
    @Test(arguments: [false, true])
    func droppingEverythingBeforeTheResumedWalksAreTakenOnEndsTheirRecords(queuedOnly: Bool) async throws {
        try await EngineHarness.with { harness in
            let paths = try files(harness, "resumed-\(queuedOnly)", count: 5)
            let journal = harness.files + "/journal.sqlite"
            // Handed over and not begun when the last run ended: only the walk knows them.
            let first = try harness.engine(harness.profile(), journal: journal)
            #expect(first.journalWalk(paths) != nil)
            await first.shutdown(keepingUnfinished: true)

            let second = try harness.engine(harness.profile(), journal: journal)
            let left = await second.unfinished()
            #expect(left.jobs.isEmpty && left.walks == paths)
            let walk = try #require(second.journalWalk(left.walks))
            if queuedOnly { await second.cancelQueued() } else { await second.cancelAllPending() }
            // Its turn comes stopped, as the host and the TUI stop an add not begun.
            let parts = AddParts()
            parts.stop()
            #expect(await second.add(paths: left.walks, parts: parts, walk: walk).isEmpty)
            #expect(try walks(journal).ids.isEmpty)
            // Even `k` at the quit question keeps nothing: nothing is left unfinished.
            await second.shutdown(keepingUnfinished: true)

            let third = try harness.engine(harness.profile(), journal: journal)
            #expect(await third.unfinishedPaths().isEmpty)
            await third.shutdown()
        }
    }

    /// `hoist stop` while one add waits its turn behind another: its turn comes after the
    /// shutdown, and it must queue nothing (no job, no journal row) and keep its record.
    @Test func anAddWhoseTurnComesAfterShutdownQueuesNothingAndKeepsItsRecord() async throws {
        try await EngineHarness.with { harness in
            let paths = try files(harness, "late", count: 5)
            let journal = harness.files + "/journal.sqlite"
            let engine = try harness.engine(harness.profile(), journal: journal)
            let record = try #require(engine.journalWalk(paths))
            await engine.shutdown(keepingUnfinished: true)
            #expect(await engine.add(paths: paths, walk: record).isEmpty)
            #expect(await engine.recordCount == 0)
            #expect(try Journal.open(path: journal).unfinished(endpoint: "test-endpoint").isEmpty)
            #expect(try walks(journal).paths == paths)
            // One that had no record yet gets one: nothing of it was queued.
            let more = try files(harness, "later", count: 2)
            #expect(await engine.add(paths: more).isEmpty)
            #expect(try walks(journal).paths == paths + more)

            let next = try harness.engine(harness.profile(), journal: journal)
            #expect(await next.unfinishedPaths() == paths + more)
            // A shutdown that drops what is unfinished (`hoist stop --now`) keeps nothing.
            let record2 = await next.takeOverWalks(paths + more)
            await next.shutdown()
            #expect(await next.add(paths: paths + more, walk: record2).isEmpty)
            #expect(await next.add(paths: more).isEmpty)
            #expect(try walks(journal).ids.isEmpty)
        }
    }

    /// A front end takes a killed run's walks over before it queues anything: one record
    /// then holds their paths, so a kill at any point brings each back once.
    @Test func takingWalksOverLeavesOneRecordOfTheirPaths() async throws {
        try await EngineHarness.with { harness in
            let paths = try files(harness, "over", count: 6)
            let journal = harness.files + "/journal.sqlite"
            let first = try harness.engine(harness.profile(), journal: journal)
            #expect(first.journalWalk(Array(paths[..<3])) != nil && first.journalWalk(Array(paths[3...])) != nil)
            await first.shutdown(keepingUnfinished: true)

            let second = try harness.engine(harness.profile(), journal: journal)
            let left = await second.unfinished()
            #expect(left.walks == paths)
            #expect(try walks(journal).ids.count == 2)
            let record = try #require(await second.takeOverWalks(left.walks))
            #expect(try walks(journal).ids == [record.id] && walks(journal).paths == paths)
            // Killed before the add began (its run's lock freed, as the kernel frees a
            // killed process's): the next start finds each path once.
            let secondJournal = await second.journal
            secondJournal.endRun()
            let third = try harness.engine(harness.profile(), journal: journal)
            #expect(await third.unfinishedPaths() == paths)
            await third.shutdown()
        }
    }

    /// A killed run's job whose file changed, or went, before the next start: that start
    /// queues the file as it is (or fails it), and a cancel of everything then leaves no
    /// row to bring it back at the start after.
    @Test func aChangedOrVanishedFileOfTheLastRunComesBackOnceNotAtEveryStart() async throws {
        try await EngineHarness.with { harness in
            let changed = try harness.file("left/changed.txt", size: 50)
            let gone = try harness.file("left/gone.txt", size: 60)
            let journal = harness.files + "/journal.sqlite"
            let first = try harness.engine(harness.profile(), journal: journal) { $0.startPaused = true }
            _ = await first.add(paths: [changed, gone])
            await first.shutdown(keepingUnfinished: true)
            _ = try harness.file("left/changed.txt", size: 70, seed: 3)
            try FileManager.default.removeItem(atPath: gone)

            let second = try harness.engine(harness.profile(), journal: journal) { $0.startPaused = true }
            let left = await second.unfinished()
            #expect(left.jobs == [changed, gone])
            let ids = await second.add(paths: left.jobs)
            await second.cancelAllPending()
            let events = try await collect(second, ids)
            #expect(events.terminal(ids[0]) == .cancelled)
            guard case .failed? = events.terminal(ids[1]) else { Issue.record("\(events)"); return }
            await second.shutdown(keepingUnfinished: true)

            let third = try harness.engine(harness.profile(), journal: journal)
            #expect(await third.unfinishedPaths().isEmpty)
            await third.shutdown()
        }
    }

    @Test func everyEventGivenToTheStreamIsCountedTheJobsOwnAmongThem() async throws {
        try await EngineHarness.with { harness in
            let engine = try harness.engine(harness.profile())
            let ids = await engine.add(paths: [try harness.file("counted.txt", size: 1000)])
            let events = try await collect(engine, ids)
            // queued comes from the engine; started, session, progress, completed from the job.
            #expect(events.count > 3)
            #expect(engine.emittedEvents == events.count)
            await engine.shutdown()
        }
    }

    @Test func aDirectoryCutShortIsWalkedAgainFromTheTop() async throws {
        try await EngineHarness.with { harness in
            _ = try files(harness, "tree", count: UploadEngine.firstBatch + 10)
            let single = try harness.file("after.txt", size: 5)
            let tree = harness.files + "/tree"
            let journal = harness.files + "/journal.sqlite"
            let (first, adding) = try await heldAdd(harness, journal: journal, [tree, single], backlog: 10)
            await first.shutdown(keepingUnfinished: true)
            _ = await adding.value
            let resumed = try walks(journal).paths
            #expect(resumed == [tree, single])
        }
    }

    @Test func aWalkTheUserStopsOrThatEndsLeavesNoRecord() async throws {
        try await EngineHarness.with { harness in
            let paths = try files(harness, "stop", count: UploadEngine.firstBatch + 40)
            let journal = harness.files + "/journal.sqlite"
            let (engine, adding) = try await heldAdd(harness, journal: journal, paths, backlog: 10)
            #expect(try walks(journal).ids.count == 1)
            await engine.cancelAllPending()
            #expect(await adding.value.count == UploadEngine.firstBatch)
            #expect(try walks(journal).ids.isEmpty)

            // Stopped before it began (`AddParts.stop()`, as the TUI does on cancel-all): no job at all.
            let parts = AddParts()
            parts.stop()
            #expect(await engine.add(paths: paths, backlog: 10, parts: parts).isEmpty)
            #expect(try walks(journal).ids.isEmpty)
            await engine.shutdown()
        }
    }
}
