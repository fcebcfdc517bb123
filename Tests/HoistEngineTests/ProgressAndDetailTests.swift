import Foundation
import HoistServer
import HoistTestSupport
import Testing

@testable import HoistEngine

/// Progress says what the server has, and events carry what a detail view shows.
@Suite struct ProgressAndDetailTests {
    @Test func theLastProgressReportWaitsForTheServersAnswer() async throws {
        let relay = try HoldingRelay()
        defer { relay.stop() }
        try await EngineHarness.with(configure: { $0.publicBaseURL = relay.baseURL }) { harness in
            // API calls go to the server itself; only the signed URLs lead through the relay.
            relay.setUpstream(port: harness.server.server.port)
            let direct = "http://127.0.0.1:\(harness.server.server.port)"
            let size = 3_000_000
            let path = try harness.file("held.bin", size: size)
            // Every part reported: nothing is held back by the throttle, only by the rule.
            let engine = try harness.engine(harness.profile(endpoint: direct)) { $0.progressInterval = .zero }
            let log = EventLog()
            let reading = log.record(engine)
            let ids = await engine.add(paths: [path])
            // The server has stored every byte and answered; the relay holds the answer back.
            #expect(await waitUntil(timeout: 20) { relay.heldBytes > 0 })
            let before = log.events.progress(ids[0])
            #expect(before.contains { $0 > 0 }, "progress reported while sending: \(before)")
            #expect(before.allSatisfy { $0 < Int64(size) }, "\(before)")
            #expect(!log.events.kinds(ids[0]).contains(.completing))
            relay.release()
            #expect(await waitUntil(timeout: 20) { log.ended(ids[0]) })
            await engine.shutdown()
            await reading.value
            let kinds = log.events.kinds(ids[0])
            let full = try #require(kinds.firstIndex(of: .progress(sent: Int64(size), total: Int64(size))), "\(kinds)")
            #expect(kinds[full + 1] == .completing)
            #expect(log.events.completed(ids[0]) != nil)
            // Event times never go back, and each state has one.
            let times = log.events.filter { $0.job == ids[0] }.map(\.time)
            #expect(times == times.sorted())
        }
    }

    @Test("on a link slower than the client, progress stays within about half a MiB of what has left and keeps moving")
    func progressFollowsASlowLink() async throws {
        let rate = 768 << 10
        let relay = try HoldingRelay(pace: rate)
        defer { relay.stop() }
        try await EngineHarness.with(configure: { $0.publicBaseURL = relay.baseURL }) { harness in
            relay.setUpstream(port: harness.server.server.port)
            let direct = "http://127.0.0.1:\(harness.server.server.port)"
            let size = 3 << 20
            let path = try harness.file("slow.bin", size: size)
            let engine = try harness.engine(harness.profile(endpoint: direct))
            let log = EventLog()
            let reading = log.record(engine)
            let ids = await engine.add(paths: [path])
            var lead = 0
            // The most bytes the link carried while the reported count stood still: a
            // measure of the count's lag that a loaded machine's slow threads do not skew.
            var carriedWhileStill = 0
            var last: (value: Int64, forwarded: Int) = (-1, 0)
            while !log.ended(ids[0]) {
                let reported = log.events.progress(ids[0]).last ?? 0
                let forwarded = relay.forwarded
                lead = max(lead, Int(reported) - forwarded)
                if reported != last.value {
                    last = (reported, forwarded)
                } else {
                    carriedWhileStill = max(carriedWhileStill, forwarded - last.forwarded)
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            await engine.shutdown()
            await reading.value
            #expect(log.events.completed(ids[0]) != nil, "\(log.events.kinds(ids[0]))")
            // The socket takes at most 256 KiB unsent beyond a 256 KiB chunk; it took the
            // whole file at once (3 MiB "sent" in the first second) before.
            #expect(lead <= 640 << 10, "progress ran \(lead) bytes ahead of the link")
            // A report comes as each 256 KiB chunk goes (the last one's waits for the answer);
            // before, the count stood still while megabytes crossed (and the bar said `stalled`).
            #expect(carriedWhileStill <= 768 << 10, "progress stood still while \(carriedWhileStill) bytes left")
        }
    }

    @Test("a shutdown that keeps unfinished jobs (SIGTERM) cuts off a create the server has not answered, at once; the row stays creating")
    func keepingShutdownAbandonsAHungCreate() async throws {
        let relay = try HoldingRelay()
        defer { relay.stop() }
        try await EngineHarness.with { harness in
            // The API itself leads through the relay: the create reaches the server, its answer is held.
            relay.setUpstream(port: harness.server.server.port)
            let journal = harness.files + "/journal.sqlite"
            let path = try harness.file("hung.txt", size: 100)
            let engine = try harness.engine(harness.profile(endpoint: relay.baseURL), journal: journal)
            let log = EventLog()
            let reading = log.record(engine)
            let ids = await engine.add(paths: [path])
            #expect(await waitUntil(timeout: 20) { relay.heldBytes > 0 }, "the server answered the create")
            let started = ContinuousClock.now
            await engine.shutdown(keepingUnfinished: true)
            // Shielded as a per-job cancel needs, the create waited out its 60 s timeout here.
            #expect(ContinuousClock.now - started < .seconds(15))
            await reading.value
            #expect(log.events.kinds(ids[0]).last == .cancelled, "\(log.events.kinds(ids[0]))")
            let row = try Journal.open(path: journal).latest(endpoint: "test-endpoint", file: try FileIdentity.of(path))
            #expect(row?.state == .creating, "the intent stays for the next run's orphan sweep: \(String(describing: row))")
            #expect(row?.requestedName == "hung.txt")
        }
    }

    @Test("an abort (Ctrl-C twice: a shutdown that cancels) waits for a create the server holds only its grace, then gives it up; the row stays creating")
    func anAbortGivesUpAHungCreateAfterItsGrace() async throws {
        let relay = try HoldingRelay()
        defer { relay.stop() }
        try await EngineHarness.with { harness in
            relay.setUpstream(port: harness.server.server.port)
            let journal = harness.files + "/journal.sqlite"
            let path = try harness.file("held.txt", size: 100)
            let engine = try harness.engine(harness.profile(endpoint: relay.baseURL), journal: journal) { $0.cancelGrace = .seconds(1) }
            let log = EventLog()
            let reading = log.record(engine)
            let ids = await engine.add(paths: [path])
            #expect(await waitUntil(timeout: 20) { relay.heldBytes > 0 }, "the server answered the create")
            let started = ContinuousClock.now
            await engine.shutdown()
            let took = ContinuousClock.now - started
            // It waited for the answer (which says whether there is a session to cancel),
            // but not the create's 60 s timeout.
            #expect(took >= .seconds(1) && took < .seconds(15), "\(took)")
            await reading.value
            #expect(log.events.kinds(ids[0]).last == .cancelled, "\(log.events.kinds(ids[0]))")
            let row = try Journal.open(path: journal).latest(endpoint: "test-endpoint", file: try FileIdentity.of(path))
            #expect(row?.state == .creating, "for the next run over the file to find the session: \(String(describing: row))")
        }
    }

    @Test("a create whose answer is lost, then retried in the same run: the session the server made for it is cancelled when the job ends")
    func aLostCreateAnswerLeavesNoPendingSession() async throws {
        try await EngineHarness.with { harness in
            try await FaultProxy.with(upstream: harness.server.baseURL) { proxy in
                // The server makes the session; the client never hears of it and asks again.
                proxy.inject(.loseAnswer, on: "POST /v1/files ")
                let path = try harness.file("lost-answer.txt", size: 500)
                let engine = try harness.engine(harness.profile(endpoint: proxy.baseURL))
                let ids = await engine.add(paths: [path])
                let events = try await collect(engine, ids)
                await engine.shutdown()
                #expect(events.completed(ids[0]) != nil, "\(events.story(ids[0]))")
                let listed = try await LightfieldCalls(baseURL: harness.server.baseURL, key: harness.server.key).list()
                let rows = ((listed.json["data"] as? [[String: Any]]) ?? []).filter { $0["filename"] as? String == "lost-answer.txt" }
                #expect(rows.count == 2, "the lost create's session and the one that completed: \(listed.text)")
                #expect(Set(rows.compactMap { $0["status"] as? String }) == ["COMPLETED", "CANCELLED"], "\(listed.text)")
            }
        }
    }

    @Test func retryingCarriesDelayAndReasonAndFailedCarriesTheServersAnswer() async throws {
        try await EngineHarness.with { harness in
            try await FaultProxy.with(upstream: harness.server.baseURL) { proxy in
                proxy.inject(.status(503), on: "PUT ")
                // Local rules that let anything through, so the server has the last word.
                let profile = harness.profile(endpoint: proxy.baseURL, purpose: "meeting_transcript")
                let engine = try harness.engine(profile) { $0.rules = UploadRules(purposes: [:], luwExtensions: []) }
                let ids = await engine.add(paths: [try harness.file("notes.txt", size: 2000), try harness.file("photo.png", size: 2000)])
                let events = try await collect(engine, ids)
                await engine.shutdown()

                guard case .retrying(let attempt, let delay, let reason)? = events.kinds(ids[0]).first(where: { if case .retrying = $0 { true } else { false } })
                else { Issue.record("\(events.kinds(ids[0]))"); return }
                #expect(attempt == 2)
                #expect(delay > .zero)
                #expect(reason == "server answered 503 injected: injected fault")
                #expect(events.completed(ids[0]) != nil)

                guard case .failed(let error)? = events.terminal(ids[1]) else { Issue.record("\(events.kinds(ids[1]))"); return }
                #expect(error.status == 415)
                #expect(error.serverCode != nil)
                let serverMessage = try #require(error.serverMessage)
                #expect(!serverMessage.isEmpty && error.message.hasSuffix(serverMessage))
                #expect(error.shortReason == "415 type not allowed")
                #expect(!error.haltsRun)
                #expect(events.retries.allSatisfy { $0.job == ids[0] })
            }
        }
    }
}
