import Foundation
import HoistEngine

extension Reducer {
    /// Folds an engine event into the state.
    public static func apply(_ state: inout AppState, _ event: EngineEvent, now: Duration, wall: Date) {
        let before = state.queue.row(event.job)
        state.queue.apply(event, now: now)
        guard let row = state.queue.row(event.job) else { return }
        switch event.kind {
        case .progress(let sent, _):
            state.stats.add(bytes: sent - (before?.sent ?? 0), at: now)
        case .completed(let remote, _):
            state.stats.done += 1
            state.note(wall, "done \(row.name) → \(remote)")
        case .failed(let error):
            state.stats.failed += 1
            state.say("failed \(row.name): \(error.description)", error: true, at: wall)
        case .cancelled:
            state.stats.cancelled += 1
            state.say("cancelled \(row.name)", at: wall)
        case .retrying(let attempt, let delay, let reason):
            state.note(wall, "retrying \(row.name) (attempt \(attempt), in \(Int(delay.seconds.rounded(.up))) s): \(reason)")
        case .queued:
            // A retried job starts over: it no longer counts as failed or cancelled.
            if case .failed = before?.state { state.stats.failed -= 1 }
            if before?.state == .cancelled { state.stats.cancelled -= 1 }
            state.note(wall, "queued \(row.name)")
        case .sessionCreated(let remote, let filename):
            state.note(wall, "session \(remote) for \(row.name)" + (filename == row.name ? "" : " as \(filename)"))
        case .started, .completing:
            break
        }
        if state.queue.rows.allSatisfy({ $0.state.isFinished || $0.state == .queued }) { state.stats.settle() }
    }
}

extension AppState {
    /// Records `text` in the log without making it the latest message.
    mutating func note(_ time: Date, _ text: String) {
        log.append(LogEntry(time: time, text: text))
        if log.count > Self.logLimit { log.removeFirst(log.count - Self.logLimit) }
    }
}
