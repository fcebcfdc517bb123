import Foundation
import HoistEngine

extension Reducer {
    /// Folds a batch of engine events into the state. Rates and round trips are measured
    /// on the events' own times.
    static func apply(_ state: inout AppState, _ events: [EngineEvent], wall: Date, replay: Bool = false) -> [Effect] {
        var effects: [Effect] = []
        for event in events {
            state.now = max(state.now, event.time)
            // The event's moment on the wall clock, for the log and the detail overlay.
            let when = wall.addingTimeInterval(-(state.now - event.time).seconds)
            effects += apply(&state, event, at: when, replay: replay)
        }
        // After the batch, not in the middle of a job's events: a row done just now is
        // the latest done and stays.
        state.queue.unlistOldestDone()
        state.queue.followActive(height: Layout(size: state.size).queueRows)
        return effects
    }

    private static func apply(_ state: inout AppState, _ event: EngineEvent, at wall: Date, replay: Bool) -> [Effect] {
        let time = event.time
        // A done job no longer listed stays done (a snapshot sent again repeats its story).
        if state.queue.unlisted.contains(event.job) { return [] }
        let before = state.queue.row(event.job)
        // Said of a job's earlier cancel: news only for a row the queue holds.
        if before == nil, case .cancelDone = event.kind { return [] }
        // An ended job only starts again through a retry (`queued`); a progress report
        // flushed after the cancel must not bring it back to life. The one word that comes
        // after an end is that the server has taken a cancel kept for later.
        if let before, before.state.isFinished {
            switch event.kind {
            case .queued, .cancelDone: break
            default: return []
            }
        }
        var moved: Int64?
        var createTrip: Duration?
        var completeTrip: Duration?
        var uploaded: (path: String, stamp: FileStamp)?
        state.queue.update(event.job, path: event.path) { row in
            switch event.kind {
            case .queued(let size):
                row.queued(size: size, at: time, wall: wall)
            case .started:
                row.state = .creating
                row.roundTripStart = time
                row.remember(JobRow.creatingText, at: time, wall: wall)
            case .sessionCreated(let remote, let filename, let resumed):
                row.remoteID = remote
                row.remoteName = filename
                // A session a killed run left was not created now: no round trip to measure.
                if let start = row.roundTripStart, !resumed { createTrip = time - start }
                row.roundTripStart = nil
                row.state = .uploading
                row.retryAt = nil
                row.remember(JobRow.sessionText(remote) + (filename == row.name ? "" : " as \(filename)"), at: time, wall: wall)
            case .progress(let sent, let total):
                if sent < row.sent {
                    // A new PUT starts from 0: its bytes are new bytes, its rate a new rate.
                    row.rate.reset()
                    moved = sent
                } else {
                    moved = sent - row.sent
                }
                if row.state != .uploading || sent == 0 { row.remember(JobRow.uploadingText, at: time, wall: wall) }
                row.rate.record(total: sent, at: time)
                row.sent = sent
                row.size = total
                row.state = .uploading
                row.retryAt = nil
            case .resumed(let held, let total):
                // Bytes the store held before this attempt: the bar moves, the rates do not.
                row.rate.reset()
                row.rate.record(total: held, at: time)
                row.sent = held
                row.size = total
                row.state = .uploading
                row.retryAt = nil
                row.remember("resumed: \(held) of \(total) bytes already stored", at: time, wall: wall)
            case .verifying(let checked, let total):
                // Reading the file, not sending it: the bar and the rates stay where they are.
                row.state = .verifying(checked: checked, total: total)
                row.retryAt = nil
                if checked == 0 { row.remember("verifying \(total) bytes the store holds", at: time, wall: wall) }
            case .completing:
                row.sent = row.size
                row.state = .completing
                row.roundTripStart = time
                row.remember(JobRow.completingText, at: time, wall: wall)
            case .completed(let remote, _):
                row.remoteID = remote
                if let start = row.roundTripStart { completeTrip = time - start }
                row.roundTripStart = nil
                row.sent = row.size
                row.state = .done
                row.rate.reset()
                row.remember(JobRow.doneText(remote), at: time, wall: wall)
                row.compact()
                uploaded = (row.path, FileStamp(size: row.size, mtimeNanos: nil))
            case .retrying(let attempt, let delay, let reason):
                row.retries += 1
                row.state = .retrying(attempt: attempt)
                row.retryAt = time + delay
                row.retryReason = Format.retryReason(reason)
                row.roundTripStart = nil
                row.remember("retry \(attempt) in \(Int(delay.seconds.rounded(.up))) s: \(reason)", at: time, wall: wall)
            case .failed(let error):
                row.state = .failed
                row.rate.reset()
                row.error = error
                row.retryAt = nil
                row.remember("failed: \(error.description)", at: time, wall: wall)
            case .cancelled:
                row.state = .cancelled
                row.rate.reset()
                row.remember("cancelled", at: time, wall: wall)
            case .cancelPending(let reason):
                row.cancelPending = Format.retryReason(reason)
                row.remember(EngineEvent.cancelPendingText(reason), at: time, wall: wall)
            case .cancelDone:
                guard row.cancelPending != nil else { break }
                row.cancelPending = nil
                row.remember(EngineEvent.cancelDoneText, at: time, wall: wall)
            }
        }
        // Replayed too: the browser marks every file a snapshot says is done, listed or not.
        if let uploaded { state.uploaded[uploaded.path] = uploaded.stamp }
        guard let row = state.queue.row(event.job) else { return [] }
        if let createTrip { state.stats.measured(create: createTrip) }
        if let completeTrip { state.stats.measured(complete: completeTrip) }
        // A snapshot says where jobs are, not what moved just now: no bytes for the rates,
        // no messages for events that happened while nobody watched.
        if replay { return [] }
        if let moved { state.stats.add(bytes: moved, at: time) }
        switch event.kind {
        case .completed(let remote, _):
            state.note(wall, "done \(row.name) \(state.glyphs.arrow) \(remote)")
        case .failed(let error):
            if error.haltsRun { return halt(&state, error, at: wall) }
            state.say("failed \(row.name): \(error.description)", error: true, at: wall)
        case .cancelled:
            state.say(row.cancelPending == nil ? "cancelled \(row.name)" : Self.cancelledLocally(row.name), at: wall)
        case .cancelPending(let reason):
            state.note(wall, "\(row.name): " + EngineEvent.cancelPendingText(reason), error: true)
        case .cancelDone:
            // Only for a row that said it was pending (not one retried since). The status
            // line that still says the server has not taken it is put right.
            if before?.cancelPending != nil {
                let done = "\(row.name): " + EngineEvent.cancelDoneText
                if state.message == Self.cancelledLocally(row.name) { state.say(done, at: wall) } else { state.note(wall, done) }
            }
        case .retrying(let attempt, let delay, let reason):
            state.note(wall, "retrying \(row.name) (attempt \(attempt), in \(Int(delay.seconds.rounded(.up))) s): \(reason)")
        case .queued:
            // A new job was said once already, by the add's own report ("queued 3 items");
            // only a job queued again (a retry) is news here.
            if before != nil { state.note(wall, "queued again \(row.name)") }
        case .sessionCreated(let remote, let filename, _):
            state.note(wall, "session \(remote) for \(row.name)" + (filename == row.name ? "" : " as \(filename)"))
        case .resumed(let held, let total):
            state.note(wall, "resuming \(row.name): \(held) of \(total) bytes already stored")
        case .verifying(0, let total):
            state.note(wall, "verifying \(row.name): hashing \(total) bytes the store holds")
        case .verifying:
            break
        case .started, .completing, .progress:
            break
        }
        return []
    }

    /// The status line of a cancel the server has not taken yet.
    static func cancelledLocally(_ name: String) -> String {
        "cancelled \(name) locally; the server has not taken the cancel yet (hoist retries)"
    }

    /// A failure every other upload would repeat (refused, unresolved, TLS, bad key): no
    /// new upload starts, and one banner names the cause until the user acts.
    private static func halt(_ state: inout AppState, _ error: EngineError, at wall: Date) -> [Effect] {
        state.note(wall, "failed: \(error.description)", error: true)
        guard state.banner == nil else { return [] }
        state.banner = "\(error.shortReason): \(error.description). Uploads paused: p resumes, R retries the failed."
        state.say("stopped after: \(error.description)", error: true, at: wall)
        let wasPaused = state.isPaused
        state.isPaused = true
        return wasPaused ? [] : [.engine(.pause)]
    }
}
