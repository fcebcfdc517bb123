import Foundation
import HoistTestSupport
import Testing

@testable import HoistEngine

/// Cancels the server could not take: kept in the journal, made later by the running
/// engine, and said (`cancelPending` before the job's end, `cancelDone` once made).
@Suite struct KeptCancelTests {
    /// An engine through `proxy`, uploading 1 MiB files slowly enough to be cancelled
    /// mid-PUT, each one under way when `start` returns.
    struct SlowUploads {
        let engine: UploadEngine
        let log: EventLog
        let reading: Task<Void, Never>
        let ids: [JobID]
        let profile: Profile

        static func start(_ harness: EngineHarness, through proxy: FaultProxy, _ names: [String],
                          configure: (inout EngineConfiguration) -> Void = { _ in }) async throws -> SlowUploads {
            let profile = harness.profile(endpoint: proxy.baseURL)
            let engine = try harness.engine(profile, rateLimit: 64 << 10, configure: configure)
            let log = EventLog()
            let reading = log.record(engine)
            let ids = await engine.add(paths: try names.map { try harness.file($0, size: 1 << 20) })
            for id in ids {
                #expect(await waitUntil(timeout: 20) { log.events.progress(id).contains { $0 > 0 } })
            }
            return SlowUploads(engine: engine, log: log, reading: reading, ids: ids, profile: profile)
        }

        /// Cancels `id` and waits for its end; its events so far.
        func cancel(_ id: JobID) async -> [EngineEvent.Kind] {
            await engine.cancel(id)
            #expect(await waitUntil(timeout: 20) { log.ended(id) })
            return log.events.kinds(id)
        }

        func stop() async {
            await engine.shutdown()
            await reading.value
        }
    }

    @Test("a cancel the server could not take (503) is made again by the running engine, not only by the next one, and said both times")
    func aRunningEngineRetriesTheCancelsItCouldNotMake() async throws {
        try await EngineHarness.with { harness in
            try await FaultProxy.with(upstream: harness.server.baseURL) { proxy in
                proxy.inject(.status(503), on: "/cancel HTTP")
                let run = try await SlowUploads.start(harness, through: proxy, ["slow.bin"]) { $0.abortRetryInterval = .milliseconds(500) }
                let id = run.ids[0]
                let session = try #require(run.log.events.sessions(id).last)
                let kinds = await run.cancel(id)
                #expect(proxy.faultsFired == 1, "the first cancel was refused")
                // Said before the job's end: cancelled here, not yet there, and why.
                guard kinds.count >= 2, case .cancelPending(let reason) = kinds[kinds.count - 2], kinds.last == .cancelled else {
                    Issue.record("no cancel_pending before cancelled: \(kinds)")
                    return
                }
                #expect(reason.contains("503"), "\(reason)")
                // The engine runs on: its retry, not a next start, cancels the session.
                let api = harness.api(run.profile)
                let cancelled = await waitUntil(timeout: 20) { (try? await api.status(session).status) == "CANCELLED" }
                let status = try await api.status(session).status
                #expect(cancelled, "the session is \(status)")
                // And says so, after the job's end: the cancel it said was pending is made.
                #expect(await waitUntil(timeout: 20) { run.log.events.kinds(id).last == .cancelDone }, "\(run.log.events.kinds(id))")
                #expect(run.log.events.kinds(id).filter { $0 == .cancelDone }.count == 1)
                await run.stop()
            }
        }
    }

    @Test("a cancel another run kept in the same journal (a --foreground run's, a hoist cancel's) is made by the engine running meanwhile, though none of its own jobs left one")
    func aRunningEngineMakesTheCancelsOtherRunsKept() async throws {
        try await EngineHarness.with { harness in
            let journal = harness.files + "/state/journal.sqlite"
            let profile = harness.profile()
            let engine = try harness.engine(profile, journal: journal) { $0.abortRetryInterval = .milliseconds(300) }
            let log = EventLog()
            let reading = log.record(engine)
            let ids = await engine.add(paths: [try harness.file("done.bin", size: 1000)])
            #expect(await waitUntil(timeout: 20) { log.ended(ids[0]) })
            #expect(log.events.completed(ids[0]) != nil, "\(log.events.story(ids[0]))")
            // Another run on this journal cancelled a file while the server was away, and ended.
            let api = harness.api(profile)
            let other = try await api.create("other.bin", size: 10)
            try Journal.open(path: journal).addPendingAbort(endpoint: "test-endpoint", session: other, error: "network error: connection refused")
            let cancelled = await waitUntil(timeout: 20) { (try? await api.status(other.id).status) == "CANCELLED" }
            let status = try await api.status(other.id).status
            #expect(cancelled, "the session is \(status)")
            #expect(await waitUntil(timeout: 20) { (try? Journal.open(path: journal).pendingAborts(endpoint: "test-endpoint").isEmpty) == true })
            await engine.shutdown()
            await reading.value
        }
    }

    @Test("a cancel the server takes ends the job cancelled with nothing pending; one it cannot take for good (404) is not kept either")
    func aCancelThatWentThroughLeavesNothingPending() async throws {
        try await EngineHarness.with { harness in
            try await FaultProxy.with(upstream: harness.server.baseURL) { proxy in
                // A loaded machine's server may take longer than the default 5 s to answer a
                // cancel, which would then be kept, and rightly said so: this test is about answers.
                let run = try await SlowUploads.start(harness, through: proxy, ["taken.bin", "gone.bin"]) { $0.cancelGrace = .seconds(120) }
                _ = await run.cancel(run.ids[0])
                // The server's last word on a session (404: no such file) is not a cancel to make later.
                proxy.inject(.status(404), on: "/cancel HTTP")
                _ = await run.cancel(run.ids[1])
                #expect(proxy.faultsFired == 1)
                for id in run.ids {
                    let kinds = run.log.events.kinds(id)
                    #expect(kinds.last == .cancelled, "\(kinds)")
                    #expect(!kinds.contains { if case .cancelPending = $0 { true } else { false } }, "\(kinds)")
                }
                let session = try #require(run.log.events.sessions(run.ids[0]).last)
                #expect(try await harness.api(run.profile).status(session).status == "CANCELLED")
                await run.stop()
            }
        }
    }

    @Test("a cancel the server does not answer within the cancel grace is kept, and its reason says so (not a bare 'cancelled')")
    func aCancelCutOffAtTheGraceSaysWhy() async throws {
        try await EngineHarness.with { harness in
            try await FaultProxy.with(upstream: harness.server.baseURL) { proxy in
                proxy.inject(.stallAfter(bytes: 0), on: "/cancel HTTP")
                let run = try await SlowUploads.start(harness, through: proxy, ["hung.bin"]) { $0.cancelGrace = .milliseconds(300) }
                let kinds = await run.cancel(run.ids[0])
                #expect(kinds.contains(.cancelPending(reason: "network error: no answer within 300 ms")) && kinds.last == .cancelled, "\(kinds)")
                await run.stop()
            }
        }
    }
}
