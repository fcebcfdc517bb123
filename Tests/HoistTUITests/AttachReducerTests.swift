import Foundation
import HoistEngine
import HoistTerminal
import Testing
@testable import HoistTUI

/// The view attached to a background engine: snapshots, drops, other viewers' settings, `d`.
@Suite("reducer: attached to the background engine")
struct AttachReducerTests {
    static let engineA = AttachedEngine(instance: "100@1", pid: 100, version: "0.3.0")
    static let engineB = AttachedEngine(instance: "200@2", pid: 200, version: "0.3.0")

    static func snapshot(job: Int, path: String, sent: Int64, total: Int64, at time: Duration) -> [EngineEvent] {
        [
            EngineEvent(job: JobID(job), path: path, kind: .queued(size: total), time: time - .seconds(3)),
            EngineEvent(job: JobID(job), path: path, kind: .started, time: time - .seconds(3)),
            EngineEvent(job: JobID(job), path: path, kind: .sessionCreated(remoteID: "fil_\(job)", filename: "x"), time: time - .seconds(2)),
            EngineEvent(job: JobID(job), path: path, kind: .progress(sent: sent, total: total), time: time),
        ]
    }

    @Test("a snapshot shows each job where it is at once, without counting its bytes as moved now")
    func snapshotIsNotSpeed() {
        var state = sampleState()
        state.background = true
        let now = Duration.seconds(50)
        _ = Reducer.reduce(&state, .attached(engine: Self.engineA, snapshot: Self.snapshot(
            job: 1, path: "/d/big.bin", sent: 600, total: 1000, at: now)), now: now, wall: wall)
        let row = state.queue.row(JobID(1))
        #expect(row?.sent == 600 && row?.state == .uploading)
        #expect(state.stats.transferred == 0, "600 bytes sent before this view attached are not a speed")
        #expect(state.message.contains("attached to the background engine (pid 100)"))
    }

    @Test("attached again to a new engine (the old one killed): the status line names the new engine's pid, not the dead one's")
    func newEngineIsNamed() {
        var state = sampleState()
        state.background = true
        state.destination = "lf · general · background engine pid 100"
        let now = Duration.seconds(50)
        _ = Reducer.reduce(&state, .attached(engine: Self.engineA, snapshot: []), now: now, wall: wall)
        #expect(state.destination == "lf · general · background engine pid 100")
        _ = Reducer.reduce(&state, .attached(engine: Self.engineB, snapshot: []), now: now, wall: wall)
        #expect(state.destination == "lf · general · background engine pid 200")
        #expect(state.message.contains("(pid 200)"))
    }

    @Test("attaching counts the files the engine holds without a job yet, after the snapshot's rows, in the message too")
    func attachCountsWhatWaits() {
        var state = sampleState()
        state.background = true
        let now = Duration.seconds(50)
        var engine = Self.engineA
        engine.waiting = EngineWaiting(files: 5, bytes: 50)
        let snapshot = Self.snapshot(job: 1, path: "/d/a.bin", sent: 10, total: 100, at: now)
            + [EngineEvent(job: JobID(2), path: "/d/b.bin", kind: .queued(size: 20), time: now)]
        _ = Reducer.reduce(&state, .attached(engine: engine, snapshot: snapshot), now: now, wall: wall)
        #expect(state.queue.rows.count == 2)
        #expect(state.queue.counts.total == 7 && state.queue.counts.bytes == 170, "\(state.queue.counts)")
        #expect(state.message.contains("7 uploads running or queued"), "\(state.message)")
    }

    @Test("r on a cancelled or failed row of an engine that was killed (kept as an earlier upload once a new one attached): no retry is sent, and the message says why and what to do")
    func retryOfAnEarlierEnginesRow() {
        var state = sampleState()
        state.background = true
        let now = Duration.seconds(50)
        let ended = [
            EngineEvent(job: JobID(1), path: "/d/a", kind: .queued(size: 5), time: now - .seconds(9)),
            EngineEvent(job: JobID(1), path: "/d/a", kind: .cancelled, time: now - .seconds(8)),
            EngineEvent(job: JobID(2), path: "/d/b", kind: .queued(size: 5), time: now - .seconds(9)),
            EngineEvent(job: JobID(2), path: "/d/b", kind: .failed(.config("x")), time: now - .seconds(8)),
        ]
        _ = Reducer.reduce(&state, .attached(engine: Self.engineA, snapshot: ended), now: now, wall: wall)
        _ = Reducer.reduce(&state, .attached(engine: Self.engineB, snapshot: []), now: now, wall: wall)
        press(&state, .switchFocus, .moveFirst)
        #expect(press(&state, .retryJob).isEmpty)
        #expect(state.message.contains("a was cancelled under an earlier engine, which is gone: add the file again (a)"), "\(state.message)")
        press(&state, .moveDown)
        #expect(press(&state, .retryJob).isEmpty)
        #expect(state.message.contains("b failed under an earlier engine"), "\(state.message)")
    }

    @Test("a drop raises a banner; the same engine again keeps the rows; a new engine's replace the unfinished ones")
    func dropAndReattach() {
        var state = sampleState()
        state.background = true
        let now = Duration.seconds(50)
        let finished = [
            EngineEvent(job: JobID(2), path: "/d/done.txt", kind: .queued(size: 5), time: now - .seconds(9)),
            EngineEvent(job: JobID(2), path: "/d/done.txt", kind: .completed(remoteID: "fil_d", md5: "m"), time: now - .seconds(8)),
        ]
        _ = Reducer.reduce(&state, .attached(engine: Self.engineA, snapshot: Self.snapshot(
            job: 1, path: "/d/a.bin", sent: 10, total: 100, at: now) + finished), now: now, wall: wall)
        _ = Reducer.reduce(&state, .engineLost("lost the background engine: reset; reconnecting"), now: now, wall: wall)
        #expect(state.engineLost && state.banner?.contains("lost the background engine") == true)
        #expect(state.log.contains { $0.text.contains("lost the background engine") })
        _ = Reducer.reduce(&state, .attached(engine: Self.engineA, snapshot: Self.snapshot(
            job: 1, path: "/d/a.bin", sent: 40, total: 100, at: now + .seconds(5))), now: now + .seconds(5), wall: wall)
        #expect(!state.engineLost && state.banner == nil)
        #expect(state.queue.rows.count == 2 && state.queue.row(JobID(1))?.sent == 40)
        // Engine B numbers its jobs afresh: its #1 is another file. The finished upload of
        // engine A stays in view, as an earlier one; its unfinished one is B's to resume.
        _ = Reducer.reduce(&state, .attached(engine: Self.engineB, snapshot: Self.snapshot(
            job: 1, path: "/d/other.bin", sent: 5, total: 50, at: now + .seconds(9))), now: now + .seconds(9), wall: wall)
        #expect(state.queue.rows.map(\.path) == ["/d/done.txt", "/d/other.bin"])
        #expect(state.queue.rows.first?.isEarlier == true && state.queue.rows.first?.state == .done)
        #expect(state.queue.row(JobID(1))?.path == "/d/other.bin")
    }

    @Test("a snapshot in parts ends as the same queue as in one: a new engine retires the old rows once, at its first part")
    func snapshotInParts() {
        let now = Duration.seconds(50)
        let old = Self.snapshot(job: 1, path: "/d/a.bin", sent: 10, total: 100, at: now) + [
            EngineEvent(job: JobID(2), path: "/d/done.txt", kind: .queued(size: 5), time: now - .seconds(9)),
            EngineEvent(job: JobID(2), path: "/d/done.txt", kind: .completed(remoteID: "fil_d", md5: "m"), time: now - .seconds(8)),
        ]
        let later = now + .seconds(9)
        let fresh = (1...5).flatMap { job in
            [EngineEvent(job: JobID(job), path: "/d/n\(job).bin", kind: .queued(size: 10), time: later - .seconds(2)),
             EngineEvent(job: JobID(job), path: "/d/n\(job).bin", kind: .completed(remoteID: "fil_\(job)", md5: "m"), time: later - .seconds(1))]
        }
        func attachedToA() -> AppState {
            var state = sampleState()
            state.background = true
            _ = Reducer.reduce(&state, .attached(engine: Self.engineA, snapshot: old), now: now, wall: wall)
            _ = Reducer.reduce(&state, .engineLost("lost the background engine: reset; reconnecting"), now: now, wall: wall)
            return state
        }
        var whole = attachedToA()
        _ = Reducer.reduce(&whole, .attached(engine: Self.engineB, snapshot: fresh), now: later, wall: wall)
        var parted = attachedToA()
        _ = Reducer.reduce(&parted, .snapshotPart(engine: Self.engineB, events: Array(fresh[0..<4])), now: later, wall: wall)
        #expect(parted.queue.rows.map(\.path) == ["/d/done.txt", "/d/n1.bin", "/d/n2.bin"], "retired at the first part")
        _ = Reducer.reduce(&parted, .snapshotPart(engine: Self.engineB, events: Array(fresh[4..<8])), now: later, wall: wall)
        _ = Reducer.reduce(&parted, .attached(engine: Self.engineB, snapshot: Array(fresh[8...])), now: later, wall: wall)
        #expect(parted.queue.rows.map(\.path) == whole.queue.rows.map(\.path))
        #expect(parted.queue.counts == whole.queue.counts)
        #expect(parted.message == whole.message && parted.message.contains("attached again"), "\(parted.message)")
        #expect(parted.attachingAgain == nil && !parted.engineLost)
    }

    @Test("another viewer's pause and concurrency show here")
    func settings() {
        var state = sampleState()
        state.background = true
        _ = Reducer.reduce(&state, .engineSettings(paused: true, concurrency: 7), now: .seconds(1), wall: wall)
        #expect(state.isPaused && state.concurrency == 7)
    }

    @Test("d leaves with uploads running only when there is a background engine; at the quit question too")
    func detach() {
        var foreground = sampleState()
        #expect(Reducer.reduce(&foreground, .detach, now: .seconds(1), wall: wall).isEmpty)
        #expect(foreground.messageIsError && !foreground.isQuitting)
        var background = sampleState()
        background.background = true
        #expect(Reducer.reduce(&background, .detach, now: .seconds(1), wall: wall) == [.exit(.detach)])
        var asked = sampleState()
        asked.background = true
        feed(&asked, job: 1, path: "/data/photos/a.png", [.queued(size: 10), .started])
        _ = Reducer.reduce(&asked, .quit, now: .seconds(3), wall: wall)
        #expect(asked.overlay == .confirmQuit)
        #expect(KeyMap.answers(.quitQuestion, background: true).map(\.key) == ["y", "d", "n"])
        #expect(KeyMap.answers(.quitQuestion).map(\.key) == ["y", "k", "n"])
        #expect(Reducer.reduce(&asked, .keepForLater, now: .seconds(3), wall: wall) == [.exit(.detach)])
    }
}
