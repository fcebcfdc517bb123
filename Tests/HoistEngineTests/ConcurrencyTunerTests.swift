import HoistTestSupport
import Testing

@testable import HoistEngine

/// The adaptive concurrency (issue 12), fed synthetic counters: a link whose files per
/// second grow with the uploads at once (round-trip bound), one where they do not
/// (CPU or bandwidth bound), and a queue too short to judge.
@Suite struct ConcurrencyTunerTests {
    /// Feeds `tuner` half-second looks for `seconds`, each level completing
    /// `rate(level)` files (of `fileBytes`) per second; the levels it chose, in order.
    func drive(_ tuner: inout ConcurrencyTuner, seconds: Int, fileBytes: Int64 = 4096, saturated: Bool = true,
               rate: (Int) -> Double) -> [Int] {
        var levels: [Int] = []
        var files = 0.0
        for step in 1...(seconds * 2) {
            files += rate(tuner.current) / 2
            let now = Duration.milliseconds(500 * step)
            if let level = tuner.observe(at: now, files: Int(files), bytes: Int64(files) * fileBytes, saturated: saturated) {
                levels.append(level)
            }
        }
        return levels
    }

    @Test func roundTripBoundFilesRaiseItToTheTopOfItsRange() {
        var tuner = ConcurrencyTuner(start: 4, range: 4...32)
        let levels = drive(&tuner, seconds: 60) { Double($0) * 25 }  // 40 ms RTT, 3 round trips a file
        #expect(levels == [6, 9, 13, 19, 28, 32])
        #expect(tuner.current == 32)
        #expect(tuner.settled)
    }

    @Test func whenMoreAtOnceDoesNotPayItStepsBackAndStays() {
        var tuner = ConcurrencyTuner(start: 4, range: 4...32)
        let levels = drive(&tuner, seconds: 60) { _ in 600 }  // CPU-bound: the same whatever the level
        #expect(levels == [6, 4])
        #expect(tuner.current == 4)
        #expect(tuner.settled)
    }

    @Test func itClimbsOnlyWhileTheGainLasts() {
        var tuner = ConcurrencyTuner(start: 4, range: 4...32)
        // Faster up to 9 at once, flat beyond: it stops at the last level that paid.
        let levels = drive(&tuner, seconds: 60) { Double(min($0, 9)) * 25 }
        #expect(levels == [6, 9, 13, 9])
        #expect(tuner.current == 9)
    }

    @Test func oneSlowWindowDoesNotStopTheClimb() {
        var tuner = ConcurrencyTuner(start: 4, range: 4...32)
        var levels: [Int] = []
        var files = 0.0
        var slowSteps = 0
        for step in 1...120 {
            // Round-trip bound, but the first second at 9 at once goes at a third of the
            // pace (a stall): that window does not pay, the next one at 9 does.
            var rate = Double(tuner.current) * 25
            if tuner.current == 9, slowSteps < 2 {
                rate /= 3
                slowSteps += 1
            }
            files += rate / 2
            if let level = tuner.observe(at: .milliseconds(500 * step), files: Int(files), bytes: Int64(files) * 4096, saturated: true) {
                levels.append(level)
            }
        }
        #expect(slowSteps == 2)
        #expect(levels == [6, 9, 13, 19, 28, 32])
        #expect(tuner.current == 32)
    }

    @Test func largeFilesCountByBytes() {
        var tuner = ConcurrencyTuner(start: 4, range: 4...32)
        // Few files finish, but each level moves more bytes: the bytes decide.
        var files = 0.0, bytes = 0.0
        var levels: [Int] = []
        for step in 1...240 {
            files += 0.25
            bytes += Double(tuner.current) * 5_000_000 / 2
            if let level = tuner.observe(at: .milliseconds(500 * step), files: Int(files), bytes: Int64(bytes), saturated: true) {
                levels.append(level)
            }
        }
        #expect(levels.first == 6)
        #expect(tuner.current > 4)
    }

    @Test func aQueueThatLeavesSlotsIdleIsNotJudged() {
        var tuner = ConcurrencyTuner(start: 4, range: 4...32)
        let levels = drive(&tuner, seconds: 30, saturated: false) { Double($0) * 25 }
        #expect(levels.isEmpty)
        #expect(tuner.current == 4)
        #expect(!tuner.settled)
    }

    @Test func overALinkWithALongRoundTripTheEngineRaisesItsNumberAndKeepsTheRaise() async throws {
        try await EngineHarness.with { harness in
            try await FaultProxy.with(upstream: harness.server.baseURL) { proxy in
                // 600 ms more per answer: a lifecycle (create, PUT, complete) takes 1.8 s
                // whatever the server does, so 4 at once leave the link mostly idle. Long
                // enough that a loaded machine's own delays stay small beside it: a full
                // parallel run kept a 100 ms link at 4, and once, with a build beside it, a
                // 300 ms one. The first raise's window pays about 1.3 times at any delay.
                proxy.delayAnswers(by: .milliseconds(600))
                let paths = try (0..<100).map { try harness.file("rtt/f\($0).txt", size: 300, seed: UInt8($0 % 200)) }
                let engine = try harness.engine(harness.profile(endpoint: proxy.baseURL)) { $0.adaptiveConcurrency = 4...32 }
                let ids = await engine.add(paths: paths)
                let events = try await collect(engine, ids, timeout: .seconds(120))
                let level = await engine.concurrency
                await engine.shutdown()
                #expect(ids.allSatisfy { events.completed($0) != nil }, "every file completes")
                // The first raise (to 6) is a trial; a number above 4 at the end means a
                // raise paid and was kept.
                #expect(level > 4, "the engine stayed at \(level)")
            }
        }
    }

    @Test func theUsersChoiceEndsTheAdapting() async throws {
        try await EngineHarness.with { harness in
            let engine = try harness.engine(harness.profile()) { $0.adaptiveConcurrency = 4...32 }
            #expect(await engine.adaptsConcurrency)
            await engine.setConcurrency(2)
            #expect(await !engine.adaptsConcurrency)
            #expect(await engine.concurrency == 2)
            await engine.shutdown()
        }
        try await EngineHarness.with { harness in
            let fixed = try harness.engine(harness.profile())
            #expect(await !fixed.adaptsConcurrency)
            await fixed.shutdown()
        }
    }
}
