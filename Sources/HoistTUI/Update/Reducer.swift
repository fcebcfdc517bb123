import Foundation
import HoistEngine
import HoistTerminal

/// Turns actions into new state and effects. Pure: no I/O, time comes in as arguments.
public enum Reducer {
    /// Ctrl-C twice within this long quits at once.
    public static let doubleInterrupt: Duration = .seconds(2)

    public static func reduce(_ state: inout AppState, _ action: Action, now: Duration, wall: Date) -> [Effect] {
        let layout = Layout(size: state.size)
        switch action {
        case .resized:
            state.browser.reveal(height: layout.browserRows)
            if let i = state.queue.selectedIndex { state.queue.reveal(i, height: layout.queueRows) }
            return []
        case .moveUp, .moveDown, .pageUp, .pageDown, .moveFirst, .moveLast:
            move(&state, action, layout: layout)
            return []
        case .switchFocus:
            state.focus = state.focus == .browser ? .queue : .browser
            return []
        case .showHelp:
            state.overlay = .help(offset: 0)
            return []
        case .showLog:
            state.overlay = .log(offset: 0)
            return []
        case .closeOverlay:
            if state.overlay != nil {
                state.overlay = nil
            } else if !state.browser.filter.isEmpty {
                state.browser.filter = ""
                state.browser.reveal(height: layout.browserRows)
            }
            return []
        case .togglePause:
            state.isPaused.toggle()
            state.say(state.isPaused ? "paused: no new upload starts (p resumes)" : "resumed", at: wall)
            return [.engine(state.isPaused ? .pause : .resume)]
        case .moreJobs, .fewerJobs:
            state.concurrency = max(1, min(64, state.concurrency + (action == .moreJobs ? 1 : -1)))
            state.say("\(state.concurrency) uploads at once", at: wall)
            return [.engine(.setConcurrency(state.concurrency))]
        case .quit:
            if state.queue.unfinished.isEmpty { return leave(&state, cancelling: false) }
            state.overlay = .confirmQuit
            return []
        case .confirmQuit:
            return leave(&state, cancelling: true)
        case .declineQuit:
            state.overlay = nil
            return []
        case .interrupt:
            if let last = state.lastInterrupt, now - last <= doubleInterrupt {
                return leave(&state, cancelling: true)
            }
            state.lastInterrupt = now
            return reduce(&state, .quit, now: now, wall: wall)
        case .cancelJob, .cancelAllJobs, .retryJob:
            return queueAction(&state, action, wall: wall)
        default:
            return browse(&state, action, layout: layout, wall: wall)
        }
    }

    private static func leave(_ state: inout AppState, cancelling: Bool) -> [Effect] {
        state.overlay = nil
        state.isQuitting = true
        return [.quit(cancelling: cancelling && !state.queue.unfinished.isEmpty)]
    }

    private static func move(_ state: inout AppState, _ action: Action, layout: Layout) {
        if case .help(let offset) = state.overlay {
            let page = max(1, layout.overlayRows - 2)
            let delta = [Action.moveUp: -1, .moveDown: 1, .pageUp: -page, .pageDown: page][action] ?? 0
            state.overlay = .help(offset: max(0, min(KeyMap.helpLines(columns: 1).count - 1, offset + delta)))
            return
        }
        if case .log(let offset) = state.overlay {
            let page = max(1, layout.overlayRows - 2)
            let delta = [Action.moveUp: 1, .moveDown: -1, .pageUp: page, .pageDown: -page][action] ?? 0
            state.overlay = .log(offset: max(0, min(max(0, state.log.count - 1), offset + delta)))
            return
        }
        let height = state.focus == .browser ? layout.browserRows : layout.queueRows
        let count = state.focus == .browser ? state.browser.visible.count : state.queue.rows.count
        let delta: Int
        switch action {
        case .moveUp: delta = -1
        case .moveDown: delta = 1
        case .pageUp: delta = -max(1, height - 1)
        case .pageDown: delta = max(1, height - 1)
        case .moveFirst: delta = -count
        default: delta = count
        }
        if state.focus == .browser {
            state.browser.move(by: delta, height: height)
        } else {
            state.queue.move(by: delta, height: height)
        }
    }

    private static func queueAction(_ state: inout AppState, _ action: Action, wall: Date) -> [Effect] {
        if action == .cancelAllJobs {
            let count = state.queue.unfinished.count
            guard count > 0 else { return [] }
            state.say("cancelling \(count) unfinished upload\(count == 1 ? "" : "s")", at: wall)
            return [.engine(.cancelAll)]
        }
        guard let id = state.queue.selected, let row = state.queue.row(id) else { return [] }
        if action == .cancelJob {
            guard !row.state.isFinished else {
                state.say("\(row.name) has already ended (\(row.state.label))", at: wall)
                return []
            }
            state.say("cancelling \(row.name)", at: wall)
            return [.engine(.cancel(id))]
        }
        switch row.state {
        case .failed, .cancelled:
            state.say("retrying \(row.name)", at: wall)
            return [.engine(.retry(id))]
        default:
            state.say("only a failed or cancelled upload can be retried", at: wall)
            return []
        }
    }
}
