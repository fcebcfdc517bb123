import Foundation

extension Reducer {
    /// Quitting and the two questions: q, Ctrl-C, and the answers y, k, n.
    static func answer(_ state: inout AppState, _ action: Action, wall: Date) -> [Effect] {
        switch action {
        case .quit:
            if state.queue.counts.unfinished == 0 { return leave(&state, keep: false, wall: wall) }
            state.overlay = .confirmQuit
            return []
        case .interrupt:
            // A Ctrl-C while the sessions are being cancelled: leave without waiting.
            if state.isQuitting { return [.exit(.quit(keepUnfinished: false))] }
            if let last = state.lastInterrupt, state.now - last <= doubleInterrupt {
                return leave(&state, keep: false, wall: wall)
            }
            state.lastInterrupt = state.now
            return answer(&state, .quit, wall: wall)
        case .confirm:
            switch state.overlay {
            case .confirmQuit:
                return leave(&state, keep: false, wall: wall)
            case .confirmCancelAll:
                state.overlay = nil
                let count = state.queue.counts.unfinished
                state.say("cancelling \(Format.count(count, "unfinished upload"))", at: wall)
                return cancelAll(&state)
            default:
                return []
            }
        case .keepForLater:
            guard state.overlay == .confirmQuit else { return [] }
            if state.background { return detach(&state, wall: wall) }
            return leave(&state, keep: true, wall: wall)
        case .detach:
            return detach(&state, wall: wall)
        case .decline:
            state.overlay = nil
            return []
        default:
            return []
        }
    }

    /// Leaves the view with uploads still running in the background engine.
    private static func detach(_ state: inout AppState, wall: Date) -> [Effect] {
        guard state.background else {
            state.say("uploads run inside this hoist (--foreground or background = false): q quits", error: true, at: wall)
            return []
        }
        state.overlay = nil
        state.isQuitting = true
        return [.exit(.detach)]
    }

    /// Leaves: at once when nothing is unfinished or the user keeps it for the next run
    /// (the journal resumes it), otherwise after the server cancelled the pending sessions
    /// or ``AppState/cancelTimeout`` passed, whichever comes first.
    private static func leave(_ state: inout AppState, keep: Bool, wall: Date) -> [Effect] {
        state.overlay = nil
        state.isQuitting = true
        let unfinished = state.queue.counts.unfinished
        if unfinished == 0 || keep { return [.exit(.quit(keepUnfinished: keep && unfinished > 0))] }
        state.quitDeadline = state.now + state.cancelTimeout
        state.say("cancelling \(Format.count(unfinished, "pending upload"))\(state.glyphs.more) (Ctrl-C leaves now)", at: wall)
        return cancelAll(&state)
    }

    /// Drops every unfinished upload, and the rest of a `u` still being checked with them
    /// (the loop stops checking it when it sends the command).
    private static func cancelAll(_ state: inout AppState) -> [Effect] {
        state.queueing = QueueingReport()
        return [.engine(.cancelAll)]
    }

    /// While quitting: the exit, once every session is cancelled or the deadline passed.
    static func leaveIfDone(_ state: inout AppState) -> [Effect] {
        guard state.isQuitting, let deadline = state.quitDeadline else { return [] }
        guard state.queue.counts.unfinished == 0 || state.now >= deadline else { return [] }
        state.quitDeadline = nil
        return [.exit(.quit(keepUnfinished: false))]
    }
}
