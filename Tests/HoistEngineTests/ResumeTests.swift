import Foundation
import HoistServer
import HoistTestSupport
import Testing

@testable import HoistEngine

/// Crash states written into a journal by hand, then a new engine over the same files.
@Suite struct ResumeTests {
    @Test("a row left cancelling (the run ended while the server's cancel was under way) is never resumed: it ends cancelled and its session is cancelled")
    func aRowLeftCancellingIsCancelledNotUploaded() async throws {
        try await EngineHarness.with { harness in
            let profile = harness.profile()
            let api = harness.api(profile)
            let journalPath = harness.files + "/state/journal.sqlite"
            let journal = try Journal.open(path: journalPath)
            let cancelled = try harness.file("cancelled.txt", size: 3000)
            let session = try await api.create("cancelled.txt", size: 3000)
            let row = try journal.insert(endpoint: "test-endpoint", file: try FileIdentity.of(cancelled))
            try journal.update(row, state: .cancelling, session: session)
            // Another file of the same run, left mid-upload: resumed as before.
            let halfway = try harness.file("halfway.txt", size: 2500)
            let halfwayRow = try journal.insert(endpoint: "test-endpoint", file: try FileIdentity.of(halfway))
            try journal.update(halfwayRow, state: .uploading, session: try await api.create("halfway.txt", size: 2500))

            let engine = try harness.engine(profile, journal: journalPath)
            #expect(await engine.unfinishedPaths() == [halfway])
            let resumed = await engine.resumeUnfinished()
            #expect(resumed.jobs.count == 1)
            _ = try await collect(engine, resumed.jobs)
            #expect(await waitUntil(timeout: 20) { (try? await api.status(session.id).status) == "CANCELLED" })
            await engine.shutdown()
            #expect(try journal.latest(endpoint: "test-endpoint", file: try FileIdentity.of(cancelled))?.state == .cancelled)
            #expect(try journal.pendingAborts(endpoint: "test-endpoint").isEmpty)
            // Nothing of the cancelled file completed: the server holds one file, the other's.
            #expect(try await api.list("COMPLETED").map(\.filename) == ["halfway.txt"])
            #expect(try await api.list("PENDING").isEmpty)
        }
    }

    @Test func resumeCompletesUploadedJobsCancelsOrphansAndSkipsFinishedOnes() async throws {
        try await EngineHarness.with { harness in
            let profile = harness.profile()
            let api = harness.api(profile)
            let journalPath = harness.files + "/state/journal.sqlite"
            let journal = try Journal.open(path: journalPath)

            // 1. Killed after the PUT, before complete was answered.
            let sent = try harness.file("sent.txt", size: 3000)
            let sentSession = try await api.create("sent.txt", size: 3000)
            let put = try await TestHTTP.send(
                .PUT, sentSession.uploadURL, headers: sentSession.uploadHeaders.map { ($0.name, $0.value) },
                body: try Data(contentsOf: URL(fileURLWithPath: sent)))
            #expect(put.status < 300)
            let sentRow = try journal.insert(endpoint: "test-endpoint", file: try FileIdentity.of(sent))
            try journal.update(sentRow, state: .completing, session: sentSession, md5: try EngineHarness.md5(sent))

            // 2. Killed while creating: the server made a session whose answer was never recorded.
            let orphaned = try harness.file("orphaned.txt", size: 2000)
            let orphanRow = try journal.insert(endpoint: "test-endpoint", file: try FileIdentity.of(orphaned))
            try journal.update(orphanRow, state: .creating, requestedName: "orphaned.txt", intentAt: Date())
            let orphan = try await api.create("orphaned.txt", size: 2000)

            // 3. Killed mid-PUT: the session is stale and will not be used.
            let halfway = try harness.file("halfway.txt", size: 2500)
            let staleSession = try await api.create("halfway.txt", size: 2500)
            let staleRow = try journal.insert(endpoint: "test-endpoint", file: try FileIdentity.of(halfway))
            try journal.update(staleRow, state: .uploading, session: staleSession)

            // 4. Finished in the earlier run.
            let finished = try harness.file("finished.txt", size: 100)
            let finishedRow = try journal.insert(endpoint: "test-endpoint", file: try FileIdentity.of(finished))
            try journal.update(finishedRow, state: .completed, session: sentSession, md5: "earlier")

            #expect(try journal.unfinished(endpoint: "test-endpoint").count == 3)
            let engine = try harness.engine(profile, journal: journalPath)
            #expect(await Set(engine.unfinishedPaths()) == Set([sent, orphaned, halfway]))
            let ids = await engine.add(paths: [sent, orphaned, halfway, finished])
            let events = try await collect(engine, ids)
            await engine.shutdown()

            #expect(events.completed(ids[0])?.id == sentSession.id)
            // It says which session it goes on with, and makes no other.
            #expect(events.sessions(ids[0]) == [sentSession.id])
            #expect(try await api.status(sentSession.id).status == "COMPLETED")
            #expect(try await api.status(orphan.id).status == "CANCELLED")
            #expect(try await api.status(staleSession.id).status == "CANCELLED")
            #expect(events.completed(ids[3])?.md5 == "earlier")
            #expect(events.kinds(ids[3]).count == 2)
            for (id, path) in [(ids[1], orphaned), (ids[2], halfway)] {
                let done = try #require(events.completed(id))
                #expect(try await api.status(done.id).md5 == (try EngineHarness.md5(path)))
            }
            #expect(try await api.list("PENDING").isEmpty)
            #expect(try Journal.open(path: journalPath).unfinished(endpoint: "test-endpoint").isEmpty)
        }
    }

    @Test("a file written since its upload with its size and mtime put back (touch -r, cp -p, a file renamed over it) is uploaded again, not reported completed with its old md5; one left alone is reported completed, not sent")
    func aRewrittenFileIsNotTheCompletedOne() async throws {
        try await EngineHarness.with { harness in
            let profile = harness.profile()
            let journal = harness.files + "/state/journal.sqlite"
            let path = try harness.file("same-size.txt", size: 4000)
            func run() async throws -> (events: [EngineEvent], id: JobID) {
                let engine = try harness.engine(profile, journal: journal)
                let ids = await engine.add(paths: [path])
                let events = try await collect(engine, ids)
                await engine.shutdown()
                return (events, ids[0])
            }
            let first = try await run()
            let firstMD5 = try #require(first.events.completed(first.id)?.md5)
            #expect(firstMD5 == (try EngineHarness.md5(path)))

            let again = try await run()
            #expect(again.events.completed(again.id)?.md5 == firstMD5)
            #expect(again.events.sessions(again.id).isEmpty, "left alone: reported completed, nothing sent")

            // Other bytes of the same size, the mtime put back to the nanosecond.
            let shell = try await Shell.run("""
                cp -p \(Tmux.quote(path)) \(Tmux.quote(path + ".ref")) && \
                head -c 4000 /dev/urandom > \(Tmux.quote(path)) && touch -r \(Tmux.quote(path + ".ref")) \(Tmux.quote(path))
                """)
            #expect(shell.status == 0, "\(shell.stderr)")
            let rewritten = try await run()
            let newMD5 = try #require(rewritten.events.completed(rewritten.id)?.md5, "\(rewritten.events.story(rewritten.id))")
            #expect(newMD5 == (try EngineHarness.md5(path)) && newMD5 != firstMD5)
            #expect(rewritten.events.sessions(rewritten.id).count == 1, "uploaded again")
            #expect(try await harness.api(profile).all().count == 2)
        }
    }

    @Test("a completed upload whose `completed` the journal cannot write (its disk full) is reported completed, not failed; the next run finishes its row sending no byte", arguments: [HoistEngine.Dialect.lightfield, .luw])
    func aCompletedUploadTheJournalCannotRecordIsStillCompleted(_ dialect: HoistEngine.Dialect) async throws {
        try await EngineHarness.with { harness in
            let profile = harness.profile(dialect)
            let journalPath = harness.files + "/state/journal.sqlite"
            let path = try harness.file("kept.png", size: 5000)
            // Opened (and migrated) first, so that the trigger has its table. A trigger lives
            // in the database, so it fails the engine's own write of `completed`, and only that.
            let journal = try Journal.open(path: journalPath)
            try await FullJournal.refuse(["completed"], in: journalPath)

            let engine = try harness.engine(profile, journal: journalPath)
            let ids = await engine.add(paths: [path])
            let events = try await collect(engine, ids)
            await engine.shutdown()
            let done = try #require(events.completed(ids[0]), "\(events.story(ids[0]))")
            #expect(done.md5 == (try EngineHarness.md5(path)))
            let row = try #require(try journal.latest(endpoint: "test-endpoint", file: try FileIdentity.of(path)))
            #expect(row.state == .completing, "the write of completed failed")
            if dialect == .lightfield {
                #expect(try await harness.api(profile).status(done.id).status == "COMPLETED")
            }

            try await FullJournal.lift(in: journalPath)
            let again = try harness.engine(profile, journal: journalPath)
            let next = await again.add(paths: [path])
            let rerun = try await collect(again, next)
            await again.shutdown()
            #expect(rerun.completed(next[0])?.id == done.id, "\(rerun.story(next[0]))")
            #expect(!rerun.kinds(next[0]).contains { if case .progress = $0 { true } else { false } }, "no byte sent again")
            #expect(try journal.latest(endpoint: "test-endpoint", file: try FileIdentity.of(path))?.state == .completed)
            if dialect == .lightfield {
                #expect(try await harness.api(profile).all().count == 1)
            }
        }
    }

    @Test("a session whose create answered but whose journal write then failed (its disk full) is cancelled at once: the job fails saying why, nothing stays PENDING; with room again the next run uploads it once")
    func aSessionTheJournalCannotRecordIsCancelled() async throws {
        try await EngineHarness.with { harness in
            let profile = harness.profile(.lightfield)
            let journalPath = harness.files + "/state/journal.sqlite"
            let path = try harness.file("unrecorded.txt", size: 4000)
            _ = try Journal.open(path: journalPath)
            try await FullJournal.refuse(["uploading"], in: journalPath)

            let engine = try harness.engine(profile, journal: journalPath)
            let ids = await engine.add(paths: [path])
            let events = try await collect(engine, ids)
            await engine.shutdown()
            guard case .failed(let failure)? = events.terminal(ids[0]) else {
                Issue.record("not failed: \(events.story(ids[0]))")
                return
            }
            #expect(failure.message.contains("full"), "\(failure.message)")
            let api = harness.api(profile)
            #expect(try await api.list("PENDING").isEmpty, "the created session is not left pending")
            #expect(try await api.list("CANCELLED").count == 1)

            try await FullJournal.lift(in: journalPath)
            let again = try harness.engine(profile, journal: journalPath)
            let next = await again.add(paths: [path])
            let rerun = try await collect(again, next)
            await again.shutdown()
            #expect(rerun.completed(next[0]) != nil, "\(rerun.story(next[0]))")
            #expect(try await api.list("PENDING").isEmpty)
            #expect(try await api.list("COMPLETED").count == 1)
        }
    }

    @Test("Luw: another key of the same persona that sent the same name with other bytes replaced the object; the first key's file asked for again is uploaded again, not reported completed from its row; with --pid or the key's default persona on either side",
          arguments: [101, nil] as [Int?], [101, nil] as [Int?])
    func luwObjectReplacedThroughAnotherKeyIsUploadedAgain(myPid: Int?, theirPid: Int?) async throws {
        try await EngineHarness.with { harness in
            // Two keys of one user and persona (a persona belongs to one user), whose first
            // and so default persona it is.
            let profile = harness.profile(.luw)
            let journal = harness.files + "/state/journal.sqlite"
            let mine = try harness.file("a/x.png", size: 3000, seed: 1)
            let theirs = try harness.file("b/x.png", size: 5000, seed: 2)
            let myKey = try await harness.server.makeKey(personas: [101], user: "lu")
            let otherKey = try await harness.server.makeKey(personas: [101], user: "lu")
            func run(_ path: String, key: String) async throws -> (events: [EngineEvent], id: JobID) {
                var profile = profile
                profile.pid = key == myKey ? myPid : theirPid
                // Keyed as hoist keys it (persona and the key's fingerprint), not by the harness's one key.
                let engine = try harness.engine(profile, journal: journal, key: key) { $0.journalEndpoint = nil }
                let ids = await engine.add(paths: [path])
                let events = try await collect(engine, ids)
                await engine.shutdown()
                return (events, ids[0])
            }
            let first = try await run(mine, key: myKey)
            #expect(first.events.sessions(first.id).count == 1, "\(first.events.story(first.id))")
            let replacing = try await run(theirs, key: otherKey)
            #expect(replacing.events.sessions(replacing.id).count == 1, "\(replacing.events.story(replacing.id))")
            let again = try await run(mine, key: myKey)
            #expect(again.events.sessions(again.id).count == 1, "sent again: \(again.events.story(again.id))")
            let known = try await run(mine, key: myKey)
            #expect(known.events.completed(known.id) != nil && known.events.sessions(known.id).isEmpty, "\(known.events.story(known.id))")
        }
    }

    @Test("Luw keeps only a name's last component: the same file asked for as a/x.png, then b/x.png, is the same object, known and not sent again")
    func luwNamesAreComparedAsTheStoreKeepsThem() async throws {
        try await EngineHarness.with { harness in
            let profile = harness.profile(.luw)
            let journal = harness.files + "/state/journal.sqlite"
            let path = try harness.file("x.png", size: 3000)
            func run(_ name: String) async throws -> (events: [EngineEvent], id: JobID) {
                let engine = try harness.engine(profile, journal: journal)
                let ids = await engine.add(paths: [path], names: [name])
                let events = try await collect(engine, ids)
                await engine.shutdown()
                return (events, ids[0])
            }
            let first = try await run("a/x.png")
            #expect(first.events.sessions(first.id).count == 1, "\(first.events.story(first.id))")
            let again = try await run("b/x.png")
            #expect(again.events.completed(again.id) != nil && again.events.sessions(again.id).isEmpty, "\(again.events.story(again.id))")
        }
    }
}
