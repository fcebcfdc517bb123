import Foundation
import HoistEngine
import HoistTerminal
import Testing
@testable import HoistTUI

/// The embedded engine queues a large `u` a window at a time: files handed to it and not
/// yet queued have no job, so no row, and must still count everywhere a count is shown.
@Suite("Files waiting for their turn in the engine's queue")
struct WaitingFilesTests {
    private let checks = [
        PathCheck(path: "/d/a", fileKey: "1:1", size: 100),
        PathCheck(path: "/d/b", fileKey: "1:2", size: 200),
        PathCheck(path: "/d/c", fileKey: "1:3", size: 300),
    ]

    @Test("files handed to the embedded engine count as queued, with their bytes, until their jobs come or none waits")
    func countedUntilQueued() {
        var state = AppState(size: Size(rows: 24, columns: 80), directory: "/d", destination: "x", concurrency: 2)
        let effects = Reducer.reduce(&state, .preflighted(checks), now: .zero, wall: wall)
        #expect(effects.contains(.engine(.add(["/d/a", "/d/b", "/d/c"], bytes: 600))))
        #expect(effects.contains(.setTitle("hoist 0/3 0%")))
        #expect(state.queue.rows.isEmpty)
        #expect(state.queue.counts.queued == 3 && state.queue.counts.total == 3 && state.queue.counts.bytes == 600)
        // The first job: one row, two still waiting; the bytes to send stay the same.
        feed(&state, job: 1, path: "/d/a", [.queued(size: 100)])
        #expect(state.queue.rows.count == 1)
        #expect(state.queue.counts.queued == 3 && state.queue.counts.bytes == 600)
        feed(&state, job: 1, path: "/d/a", [.started, .sessionCreated(remoteID: "r1", filename: "a"), .progress(sent: 100, total: 100)])
        #expect(state.queue.counts.active == 1 && state.queue.counts.queued == 2 && state.queue.counts.sentBytes == 100)
        // A second `u` before the engine's word on the first: that word does not clear it.
        _ = Reducer.reduce(&state, .preflighted([PathCheck(path: "/d/e", fileKey: "1:5", size: 50)]), now: .seconds(1), wall: wall)
        _ = Reducer.reduce(&state, .addsSettled(adds: 1), now: .seconds(1), wall: wall)
        #expect(state.queue.counts.total == 4 && state.queue.counts.bytes == 650)
        // The engine dropped the rest (a cancel): they go with the word that none waits.
        _ = Reducer.reduce(&state, .addsSettled(adds: 2), now: .seconds(1), wall: wall)
        #expect(state.queue.counts.total == 1 && state.queue.counts.bytes == 100)
    }

    @Test("a directory handed over counts at least one until its add is over, however many jobs its walk queues")
    func directoryCountsUntilSettled() {
        var state = AppState(size: Size(rows: 24, columns: 80), directory: "/d", destination: "x", concurrency: 2)
        _ = Reducer.reduce(&state, .preflighted([PathCheck(path: "/d/sub", fileKey: "/d/sub", isDirectory: true)]), now: .zero, wall: wall)
        #expect(state.queue.counts.queued == 1)
        for job in 1...3 { feed(&state, job: job, path: "/d/sub/\(job)", [.queued(size: 10), .started, .sessionCreated(remoteID: "r", filename: "f")]) }
        for job in 1...3 { feed(&state, job: job, path: "/d/sub/\(job)", [.progress(sent: 10, total: 10), .completed(remoteID: "r", md5: "m")]) }
        // Every job so far done, the walk not over: still unfinished, so `q` asks.
        #expect(state.queue.counts.done == 3 && state.queue.counts.unfinished == 1)
        #expect(press(&state, .quit).isEmpty && state.overlay == .confirmQuit)
        _ = Reducer.reduce(&state, .addsSettled(adds: 1), now: .seconds(1), wall: wall)
        #expect(state.queue.counts.unfinished == 0 && state.queue.counts.total == 3)
    }

    @Test("the background engine's count of what waits, sent to every view, replaces the view's own; nothing is counted twice")
    func backgroundEngineSaysWhatWaits() {
        var state = AppState(size: Size(rows: 24, columns: 80), directory: "/d", destination: "x", concurrency: 2)
        state.background = true
        var engine = AttachedEngine(instance: "1@1", pid: 1, version: "0.3.0", waiting: EngineWaiting(files: 0, bytes: 0))
        _ = Reducer.reduce(&state, .attached(engine: engine, snapshot: []), now: .zero, wall: wall)
        let effects = Reducer.reduce(&state, .preflighted(checks), now: .zero, wall: wall)
        #expect(effects.contains(.engine(.add(["/d/a", "/d/b", "/d/c"], bytes: 600))))
        // Counted at once, before the engine's word.
        #expect(state.queue.counts.total == 3 && state.queue.counts.bytes == 600)
        _ = Reducer.reduce(&state, .engineWaiting(EngineWaiting(files: 3, bytes: 600)), now: .zero, wall: wall)
        feed(&state, job: 1, path: "/d/a", [.queued(size: 100)])
        #expect(state.queue.counts.total == 3 && state.queue.counts.bytes == 600)
        _ = Reducer.reduce(&state, .engineWaiting(EngineWaiting(files: 2, bytes: 500)), now: .zero, wall: wall)
        #expect(state.queue.counts.total == 3 && state.queue.counts.bytes == 600)
        // Another view's `u` of 5 files of 50 bytes: this view counts them too.
        _ = Reducer.reduce(&state, .engineWaiting(EngineWaiting(files: 7, bytes: 750)), now: .zero, wall: wall)
        #expect(state.queue.counts.total == 8 && state.queue.counts.bytes == 850)
        // Dropped by a cancel elsewhere: none waits, and the view leaves when it is over.
        _ = Reducer.reduce(&state, .engineWaiting(EngineWaiting(files: 0, bytes: 0)), now: .zero, wall: wall)
        #expect(state.queue.counts.total == 1 && state.queue.counts.unfinished == 1)

        // An engine of an earlier version says nothing of what waits: nothing is counted
        // that no word would ever take back; its files count once they have rows.
        var older = AppState(size: Size(rows: 24, columns: 80), directory: "/d", destination: "x", concurrency: 2)
        older.background = true
        engine.waiting = nil
        _ = Reducer.reduce(&older, .attached(engine: engine, snapshot: []), now: .zero, wall: wall)
        _ = Reducer.reduce(&older, .preflighted(checks), now: .zero, wall: wall)
        #expect(older.queue.counts.total == 0)
        feed(&older, job: 1, path: "/d/a", [.queued(size: 100)])
        #expect(older.queue.counts.total == 1)
    }

    @Test("quitting while files wait asks first, cancels them, and leaves once the engine has dropped them")
    func quitWhileWaiting() {
        var state = AppState(size: Size(rows: 24, columns: 80), directory: "/d", destination: "x", concurrency: 2)
        _ = Reducer.reduce(&state, .preflighted(checks), now: .zero, wall: wall)
        #expect(press(&state, .quit).isEmpty)
        #expect(state.overlay == .confirmQuit)
        #expect(withoutTitles(press(&state, .confirm)) == [.engine(.cancelAll)])
        #expect(state.isQuitting)
        // Still counted until the engine says so: no exit yet.
        #expect(tick(&state, at: .seconds(1)).isEmpty)
        let effects = Reducer.reduce(&state, .addsSettled(adds: 1), now: .seconds(2), wall: wall)
        #expect(effects.contains(.exit(.quit(keepUnfinished: false))))
    }
}
