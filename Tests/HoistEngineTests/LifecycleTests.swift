import Foundation
import HoistServer
import HoistTestSupport
import Testing

@testable import HoistEngine

/// Every job id gets one final event per run, whatever commands arrive in between.
@Suite struct LifecycleTests {
    @Test func retryOfACancelledJobWhoseFileIsGoneEmitsQueuedThenFailed() async throws {
        try await EngineHarness.with { harness in
            let path = try harness.file("gone.txt", size: 1234)
            let engine = try harness.engine(harness.profile()) { $0.startPaused = true }
            let log = EventLog()
            let reading = log.record(engine)
            let ids = await engine.add(paths: [path])
            await engine.cancel(ids[0])
            try FileManager.default.removeItem(atPath: path)
            await engine.retry(ids[0])
            await engine.shutdown()
            await reading.value
            #expect(log.events.kinds(ids[0]) == [.queued(size: 1234), .cancelled, .queued(size: 1234), .failed(.fileNotFound(path))])
            #expect(try await harness.api(harness.profile()).all().isEmpty)
        }
    }

    @Test func shutdownStartsNothingNewAndAwaitsWhatItStarted() async throws {
        try await EngineHarness.with { harness in
            let profile = harness.profile()
            let engine = try harness.engine(profile, rateLimit: 50_000, concurrency: 1)
            let log = EventLog()
            let reading = log.record(engine)
            let ids = await engine.add(paths: try (0..<3).map { try harness.file("s\($0).txt", size: 600_000, seed: UInt8($0 + 1)) })
            #expect(await waitUntil { log.events.progress(ids[0]).contains { $0 > 0 } })
            await engine.shutdown()
            await reading.value
            let events = log.events
            for id in ids {
                #expect(events.filter { $0.job == id && $0.isTerminal }.map(\.kind) == [.cancelled], "\(events.kinds(id))")
            }
            for id in ids.dropFirst() { #expect(events.kinds(id) == [.queued(size: 600_000), .cancelled]) }
            // The one session made is cancelled; nothing started behind shutdown's back.
            let sessions = try await harness.api(profile).all()
            #expect(sessions.map(\.status) == ["CANCELLED"], "\(sessions)")
        }
    }
}

extension LifecycleTests {
    @Test func shutdownKeepingUnfinishedLeavesTheSessionForTheNextRun() async throws {
        try await EngineHarness.with { harness in
            let profile = harness.profile()
            let journal = harness.files + "/state/journal.sqlite"
            let path = try harness.file("kept.txt", size: 600_000)
            let first = try harness.engine(profile, journal: journal, rateLimit: 50_000)
            let log = EventLog()
            let reading = log.record(first)
            let ids = await first.add(paths: [path])
            #expect(await waitUntil { log.events.progress(ids[0]).contains { $0 > 0 } })
            await first.shutdown(keepingUnfinished: true)
            await reading.value
            #expect(log.events.terminal(ids[0]) == .cancelled)
            let kept = try #require(log.events.sessions(ids[0]).first)
            #expect(try await harness.api(profile).status(kept).status == "PENDING")

            let second = try harness.engine(profile, journal: journal)
            #expect(await second.unfinishedPaths() == [path])
            let again = await second.add(paths: [path])
            let events = try await collect(second, again)
            await second.shutdown()
            let done = try #require(events.completed(again[0]), "\(events.kinds(again[0]))")
            #expect(try await harness.api(profile).status(done.id).md5 == (try EngineHarness.md5(path)))
            #expect(try await harness.api(profile).status(kept).status == "CANCELLED")
        }
    }
}
