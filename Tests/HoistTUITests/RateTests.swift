import Foundation
import HoistEngine
import HoistTerminal
import Testing
@testable import HoistTUI

/// Speeds, stalls, ETA and counts, from events with times, on a clock the test moves.
@Suite("Numbers: rates, stalls, ETA, counts")
struct RateTests {
    /// One job uploading `rate` bytes a second in progress reports every 100 ms from
    /// `start` to `end`, drained by the reducer in batches every `drain` (as the loop does,
    /// late): the rates must come from the events' times, not from the drains'.
    static func stream(_ state: inout AppState, rate: Int64, from start: Duration, to end: Duration, drain: Duration,
                       sample: (inout AppState, Duration) -> Void = { _, _ in }) {
        let step: Duration = .milliseconds(100)
        var batch: [EngineEvent] = []
        var nextDrain = start + drain
        var t = start
        var sent: Int64 = 0
        while t <= end {
            batch.append(EngineEvent(job: JobID(1), path: "/big", kind: .progress(sent: sent, total: 1 << 40), time: t))
            t += step
            sent += rate / 10
            if t >= nextDrain {
                Reducer.reduce(&state, .events(batch), now: t, wall: wall)
                batch = []
                sample(&state, t)
                nextDrain += drain
            }
        }
        if !batch.isEmpty { Reducer.reduce(&state, .events(batch), now: t, wall: wall) }
    }

    static func started(_ state: inout AppState) {
        event(&state, job: 1, path: "/big", .queued(size: 1 << 40), at: .zero)
        event(&state, job: 1, path: "/big", .started, at: .zero)
        event(&state, job: 1, path: "/big", .sessionCreated(remoteID: "fil_1", filename: "big"), at: .milliseconds(50))
    }

    @Test("a steady 2 MB/s stream reads 2 MB/s ±5% after 2 s whatever the drain batches; -- before 1 s of data")
    func steady() {
        for drain in [Duration.milliseconds(100), .milliseconds(250), .seconds(1)] {
            var state = sampleState()
            Self.started(&state)
            var readings: [(Duration, Double?, Double?)] = []
            Self.stream(&state, rate: 2_000_000, from: .milliseconds(100), to: .seconds(10), drain: drain) { state, now in
                readings.append((now, state.queue.rows[0].rate.bytesPerSecond(at: now), state.stats.rate.bytesPerSecond(at: now)))
            }
            for (now, row, total) in readings {
                if now < .milliseconds(1100) {
                    #expect(row == nil && total == nil, "drain \(drain): a reading at \(now) before a second of data")
                }
                if now >= .seconds(2) {
                    for value in [row, total] {
                        #expect(value.map { abs($0 - 2_000_000) <= 100_000 } == true,
                                "drain \(drain): \(value.map { String(Int($0)) } ?? "--") B/s at \(now)")
                    }
                }
            }
            #expect(!readings.isEmpty)
        }
    }

    @Test("3 s after the last byte the row says stalled and the rates are 0; not a moment before")
    func stall() {
        var state = sampleState(size: Size(rows: 40, columns: 120))
        Self.started(&state)
        Self.stream(&state, rate: 2_000_000, from: .milliseconds(100), to: .seconds(5), drain: .milliseconds(250))
        let last = state.queue.rows[0].rate.lastMoved ?? .zero
        tick(&state, at: last + .milliseconds(2900))
        #expect(state.queue.rows[0].status(at: state.now) == "uploading")
        #expect((state.stats.rate.bytesPerSecond(at: state.now) ?? 0) > 1_000_000)
        tick(&state, at: last + .seconds(3))
        #expect(state.queue.rows[0].status(at: state.now) == "stalled")
        #expect(state.queue.rows[0].rate.bytesPerSecond(at: state.now) == 0)
        #expect(state.stats.rate.bytesPerSecond(at: state.now) == 0)
        #expect(state.eta == nil, "no ETA at 0 B/s")
        let screen = SnapshotScenes.render(state)
        #expect(screen.contains("0 B/s"))
        #expect(screen.contains("stalled"))
        #expect(screen.contains("-- left"))
    }

    @Test("after a stall the rate starts over: -- for a second, then the new rate, not one averaged with the quiet")
    func afterStall() {
        var window = RateWindow()
        for i in 0...20 { window.record(total: Int64(i) * 100_000, at: .milliseconds(100 * i)) }
        #expect(window.bytesPerSecond(at: .seconds(2)) == 1_000_000)
        #expect(window.bytesPerSecond(at: .seconds(12)) == 0)
        for i in 1...9 { window.record(total: 2_000_000 + Int64(i) * 50_000, at: .seconds(12) + .milliseconds(100 * i)) }
        #expect(window.bytesPerSecond(at: .milliseconds(12_900)) == nil)
        for i in 10...15 { window.record(total: 2_000_000 + Int64(i) * 50_000, at: .seconds(12) + .milliseconds(100 * i)) }
        #expect(window.bytesPerSecond(at: .milliseconds(13_500)).map { abs($0 - 500_000) < 1 } == true)
    }

    @Test("a slow upload reporting 256 KiB every 3.9 s (67 KiB/s) reads its rate between chunks, never stalled; 2 gaps without a chunk is a stall")
    func chunkyProgressIsNotAStall() {
        var window = RateWindow()
        let chunk: Int64 = 256 * 1024
        let every: Duration = .milliseconds(3900)
        for i in 0...6 { window.record(total: Int64(i) * chunk, at: every * i) }
        for probe in stride(from: 0.0, to: 3.8, by: 0.5) {
            let now = every * 6 + .milliseconds(Int(probe * 1000))
            #expect(!window.isStalled(at: now), "\(probe) s after a chunk")
            let rate = window.bytesPerSecond(at: now) ?? 0
            #expect(abs(rate - Double(chunk) / 3.9) < 1_000, "\(probe) s after a chunk: \(rate)")
        }
        #expect(!window.isStalled(at: every * 6 + .milliseconds(7700)))
        #expect(window.isStalled(at: every * 6 + .milliseconds(7900)))
    }

    @Test("sizes and speeds are decided on the figure as printed: 99.95 KiB is 100 KiB, 1023.6 KiB is 1.0 MiB; never wider than 9 cells")
    func byteFiguresAtTheirEdges() {
        #expect(Format.bytes(102_350) == "100 KiB")
        #expect(Format.bytes(102_348) == "99.9 KiB")
        #expect(Format.bytes(1_048_200) == "1.0 MiB")
        #expect(Format.bytes(1_047_500) == "1023 KiB")
        for value in stride(from: Int64(1), to: 1 << 42, by: 1 << 30 / 7) {
            #expect(Format.bytes(value).count <= 9, "\(value): \(Format.bytes(value))")
        }
        for value: Int64 in [102_350, 1_048_200, 1_073_700_000] { #expect(Format.bytes(value).count <= 9, "\(Format.bytes(value))") }
    }

    @Test("while retrying, the row counts down to the next attempt with the reason, and the total rate falls to 0")
    func retryCountdown() {
        var state = sampleState(size: Size(rows: 40, columns: 120))
        Self.started(&state)
        Self.stream(&state, rate: 2_000_000, from: .milliseconds(100), to: .seconds(3), drain: .milliseconds(250))
        event(&state, job: 1, path: "/big", .retrying(attempt: 2, delay: .seconds(4), reason: "network error: connection refused"),
              at: .seconds(4))
        tick(&state, at: .seconds(6))
        #expect(SnapshotScenes.render(state).contains("retry in 2s: conn"))
        #expect(state.queue.rows[0].status(at: state.now) == "retry in 2s: connection refused")
        #expect(state.stats.rate.bytesPerSecond(at: state.now) == 0)
    }

    @Test("ETA for 5,000 small files: the round trips are counted, so it is within 25% of the time really left")
    func manySmallFiles() {
        // Four workers, each file: create 4 ms, PUT 1 KiB in 1 ms, complete 4 ms.
        let files = 5000
        let create: Duration = .milliseconds(4), put: Duration = .milliseconds(1), complete: Duration = .milliseconds(4)
        var events: [EngineEvent] = (1...files).map { EngineEvent(job: JobID($0), path: "/s/\($0)", kind: .queued(size: 1024), time: .zero) }
        var workers: [Duration] = (0..<4).map { .microseconds(500 * $0) }
        var finished: [Duration] = []
        for id in 1...files {
            let w = (id - 1) % 4
            var t = workers[w]
            func emit(_ kind: EngineEvent.Kind) { events.append(EngineEvent(job: JobID(id), path: "/s/\(id)", kind: kind, time: t)) }
            emit(.started)
            t += create
            emit(.sessionCreated(remoteID: "fil_\(id)", filename: "\(id)"))
            emit(.progress(sent: 0, total: 1024))
            t += put
            emit(.progress(sent: 1024, total: 1024))
            emit(.completing)
            t += complete
            emit(.completed(remoteID: "fil_\(id)", md5: "m"))
            workers[w] = t
            finished.append(t)
        }
        let end = finished.max() ?? .zero
        events.sort { $0.time < $1.time }
        var state = sampleState()
        var i = 0
        var now: Duration = .zero
        var checked = 0
        while now < end {
            now += .milliseconds(100)
            var batch: [EngineEvent] = []
            while i < events.count, events[i].time <= now {
                batch.append(events[i])
                i += 1
            }
            Reducer.reduce(&state, .events(batch), now: now, wall: wall)
            guard now >= .seconds(2), end - now >= .seconds(2) else { continue }
            let truth = (end - now).seconds
            let eta = state.eta ?? -1
            #expect(abs(eta - truth) <= truth * 0.25, "at \(now): ETA \(eta) s, really \(truth) s")
            checked += 1
        }
        #expect(checked > 50)
    }

    @Test("counts are derived from the rows: queue title, status line and window title agree")
    func countsAgree() {
        var state = SnapshotScenes.busy(size: Size(rows: 24, columns: 80))
        let counts = state.queue.counts
        #expect(counts.done == 1 && counts.failed == 1 && counts.cancelled == 1)
        #expect(counts.total == 5, "cancelled uploads leave the total")
        let screen = SnapshotScenes.render(state)
        #expect(screen.contains("Queue 1/5"))
        #expect(screen.contains(" 1/5 done"))
        #expect(screen.contains("1 failed"))
        #expect(state.windowTitle == "hoist 1/5 \(Format.percent(counts.fraction))")
        // A retry takes a failed job back into the unfinished: every place follows.
        feed(&state, job: 4, path: "/data/photos/broken.png", [.queued(size: 1)], start: .seconds(20))
        let after = SnapshotScenes.render(state)
        #expect(!after.contains("failed"))
        #expect(after.contains("Queue 1/5") && after.contains(" 1/5 done"))
    }

    @Test("plurals read right: 1 job, 2 jobs; 1 upload is, 2 uploads are")
    func plurals() {
        var state = sampleState()
        state.concurrency = 1
        let screen = SnapshotScenes.render(state)
        #expect(screen.contains("  1 job") && !screen.contains("1 jobs"))
        feed(&state, job: 1, path: "/a", [.queued(size: 1)])
        press(&state, .quit)
        #expect(SnapshotScenes.render(state).contains("1 upload is not finished."))
        press(&state, .decline)
        feed(&state, job: 2, path: "/b", [.queued(size: 1)])
        press(&state, .quit)
        #expect(SnapshotScenes.render(state).contains("2 uploads are not finished."))
        #expect(Format.count(1, "job") == "1 job" && Format.count(0, "job") == "0 jobs")
    }

    @Test("status lines cut at the edge end with an ellipsis")
    func ellipsis() {
        var state = sampleState(size: Size(rows: 24, columns: 60))
        state.destination = "profile work: lightfield https://uploads.example.com/a/very/long/path/that/does/not/fit"
        state.say("a message long enough to reach the key hint and then some more words", at: wall)
        let lines = SnapshotScenes.render(state).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[22].hasSuffix("…"), "\(lines[22])")
        #expect(lines[23].contains("…  ? help  q quit"), "\(lines[23])")
    }

    @Test("any text cut at a pane's edge ends with an ellipsis: the empty queue's hint, a log line")
    func everyCutIsMarked() {
        var state = sampleState(size: Size(rows: 15, columns: 61))
        let lines = SnapshotScenes.render(state).split(separator: "\n", omittingEmptySubsequences: false)
        let hint = lines.first { $0.contains("Nothing queued") }.map(String.init) ?? ""
        let shown = hint.components(separatedBy: "Nothing queued.").last?.components(separatedBy: "│").first ?? ""
        #expect(shown.trimmingCharacters(in: .whitespaces).hasSuffix("…") && !shown.contains("upload with u"), "cut bare: \(hint)")
        // The log overlay: a line longer than the screen.
        state.say("uploaded " + String(repeating: "long-name-", count: 12) + "end.bin", at: wall)
        press(&state, .showLog)
        let log = SnapshotScenes.render(state).split(separator: "\n").first { $0.contains("uploaded long-name-") }.map(String.init) ?? ""
        #expect(log.contains("…") && !log.contains("end.bin"), "\(log)")
    }

    @Test("a resumed multipart upload checking the parts the store holds: the row says how far, never stalled, moves no bytes, then resumes")
    func verifyingIsNotStalled() {
        var state = sampleState()
        Self.started(&state)
        _ = event(&state, job: 1, path: "/big", .progress(sent: 0, total: 100 << 20), at: .milliseconds(100))
        _ = event(&state, job: 1, path: "/big", .verifying(checked: 0, total: 64 << 20), at: .milliseconds(100))
        #expect(state.queue.rows[0].history.last?.text == "verifying 67108864 bytes the store holds")
        // A minute of hashing with no byte sent: far past the stall window.
        _ = event(&state, job: 1, path: "/big", .verifying(checked: 16 << 20, total: 64 << 20), at: .seconds(60))
        let row = state.queue.rows[0]
        #expect(row.status(at: .seconds(61)) == "verifying 25%")
        #expect(row.state.isActive && !row.isStalled(at: .seconds(61)))
        #expect(row.sent == 0 && state.stats.transferred == 0)
        #expect(SnapshotScenes.render(state).contains("verifying 25%"))
        _ = event(&state, job: 1, path: "/big", .verifying(checked: 64 << 20, total: 64 << 20), at: .seconds(90))
        _ = event(&state, job: 1, path: "/big", .resumed(held: 64 << 20, total: 100 << 20), at: .seconds(90))
        #expect(state.queue.rows[0].status(at: .seconds(90)) == "uploading")
        #expect(state.queue.rows[0].sent == 64 << 20 && state.stats.transferred == 0)
    }

    @Test("a resumed upload: the bar starts at the bytes the store held, which count in no speed and no bytes moved")
    func resumedBytesAreNotMovedBytes() {
        var state = sampleState()
        Self.started(&state)
        _ = event(&state, job: 1, path: "/big", .progress(sent: 0, total: 100 << 20), at: .milliseconds(100))
        _ = event(&state, job: 1, path: "/big", .resumed(held: 64 << 20, total: 100 << 20), at: .milliseconds(200))
        #expect(state.queue.rows[0].sent == 64 << 20)
        #expect(state.stats.transferred == 0)
        // Then 1 MB/s for 4 s: the speeds read 1 MB/s, not 64 MiB in a moment.
        var sent: Int64 = 64 << 20
        var t = Duration.milliseconds(200)
        while t < .milliseconds(4200) {
            t += .milliseconds(100)
            sent += 100_000
            _ = event(&state, job: 1, path: "/big", .progress(sent: sent, total: 100 << 20), at: t)
        }
        #expect(state.stats.transferred == 4_000_000)
        for reading in [state.queue.rows[0].rate.bytesPerSecond(at: t), state.stats.rate.bytesPerSecond(at: t)] {
            #expect(reading.map { abs($0 - 1_000_000) <= 50_000 } == true, "\(reading.map { String(Int($0)) } ?? "--")")
        }
    }
}
