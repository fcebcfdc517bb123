import Foundation
import HoistEngine

extension Reducer {
    /// Attached to the background engine (first time or again): its snapshot becomes the
    /// queue. A different engine (the old one died) numbers its jobs afresh: the old one's
    /// unfinished rows go (the new one resumed them), its finished ones stay as earlier
    /// uploads. The same engine's snapshot updates the rows in place (a done job no longer
    /// listed stays counted, not listed).
    /// The status pane's destination line names the engine it follows (`… · background
    /// engine pid N`): after a new engine took over (the old one killed), the new one's.
    static func naming(_ destination: String, enginePID pid: Int32) -> String {
        // After ``Glyphs/separator``, whichever the screen draws with.
        let marker = "background engine pid "
        guard let range = destination.range(of: marker, options: .backwards) else { return destination }
        return destination[..<range.upperBound] + String(pid)
    }

    static func attached(_ state: inout AppState, _ engine: AttachedEngine, snapshot: [EngineEvent], wall: Date) -> [Effect] {
        let effects = snapshotPart(&state, engine, snapshot, wall: wall)
        state.destination = Self.naming(state.destination, enginePID: engine.pid)
        let again = state.attachingAgain ?? false
        state.attachingAgain = nil
        // After the snapshot's rows, which the view's own count of waiting files loses.
        state.engineCountsWaiting = engine.waiting != nil
        if let waiting = engine.waiting { state.queue.waiting.replace(with: waiting) }
        let count = state.queue.counts
        let what = count.total == 0 ? "nothing queued" : "\(Format.count(count.unfinished, "upload")) running or queued"
        state.say("\(again ? "attached again" : "attached") to the background engine (pid \(engine.pid)): \(what)", at: wall)
        return effects
    }

    /// A part of an engine's snapshot (``attached(_:_:snapshot:wall:)`` ends it). The first
    /// part begins the attach: a different engine's unfinished rows go first.
    static func snapshotPart(_ state: inout AppState, _ engine: AttachedEngine, _ events: [EngineEvent], wall: Date) -> [Effect] {
        if state.attachingAgain == nil {
            state.attachingAgain = state.engineInstance != nil
            if state.engineInstance != engine.instance { state.queue.retireJobs() }
            // Before the snapshot, which leaves out the jobs the engine counts instead.
            state.queue.countUnlisted(byEngine: engine.unlistedDone)
            state.engineInstance = engine.instance
            if state.engineLost {
                state.engineLost = false
                state.banner = nil
            }
        }
        // Every job the snapshot says is done stamps the browser's marks as it is applied.
        return apply(&state, events, wall: wall, replay: true)
    }

    /// The connection to the background engine dropped: say so where it cannot be missed.
    static func lost(_ state: inout AppState, _ reason: String, wall: Date) {
        // A snapshot cut short: the next connection's begins afresh.
        state.attachingAgain = nil
        state.engineLost = true
        state.banner = "\(reason). Uploads go on in the engine if it still runs."
        state.say(reason, error: true, at: wall)
    }
}
