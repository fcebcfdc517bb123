import Foundation
import HoistEngine
import HoistTerminal

/// Turns inputs into new state and effects: the only code that changes ``AppState``. Pure:
/// no I/O, time comes in as arguments (`now` on the engine's clock, `wall` for people).
public enum Reducer {
    /// Ctrl-C twice within this long quits at once.
    public static let doubleInterrupt: Duration = .seconds(2)

    public static func reduce(_ state: inout AppState, _ input: Input, now: Duration, wall: Date) -> [Effect] {
        state.now = max(state.now, now)
        var effects: [Effect]
        switch input {
        case .start(let resume):
            effects = start(&state, resume, wall: wall)
        case .action(let action):
            effects = act(&state, action, wall: wall)
        case .events(let events):
            effects = apply(&state, events, wall: wall)
        case .tick:
            // Time alone changes no counts: only the quit deadline below can act on it.
            return leaveIfDone(&state)
        case .resized(let size):
            state.size = size
            let layout = Layout(size: size)
            state.browser.reveal(height: layout.browserRows)
            if let i = state.queue.selectedIndex { state.queue.reveal(i, height: layout.queueRows) }
            effects = []
        case .listed(let directory, let entries, let sorted):
            loaded(&state, directory: directory, entries: entries, sorted: sorted)
            effects = []
        case .listFailed(let directory, let reason):
            loadFailed(&state, directory: directory, reason: reason, wall: wall)
            effects = []
        case .preflighted(let checks, let final, let inQueue, let remaining):
            effects = queueChecked(&state, checks, final: final, inQueue: inQueue, remaining: remaining, wall: wall)
        case .history(let entries):
            earlier(&state, entries)
            effects = []
        case .fetchedURL(let job, let result):
            effects = fetched(&state, job: job, result, wall: wall)
        case .attached(let engine, let snapshot):
            effects = attached(&state, engine, snapshot: snapshot, wall: wall)
        case .snapshotPart(let engine, let events):
            effects = snapshotPart(&state, engine, events, wall: wall)
        case .engineLost(let reason):
            lost(&state, reason, wall: wall)
            effects = []
        case .engineSettings(let paused, let concurrency):
            // Another viewer's `p`, `+` or `-`: every view of the queue says the same.
            state.isPaused = paused
            state.concurrency = concurrency
            effects = []
        case .engineWaiting(let waiting):
            state.queue.waiting.replace(with: waiting)
            effects = []
        case .addsSettled(let adds):
            // An add handed over since is still on its way.
            if adds >= state.queue.waiting.adds {
                state.queue.waiting = QueueState.Waiting(adds: adds)
            } else {
                state.queue.waiting.settled = max(state.queue.waiting.settled, adds)
            }
            effects = []
        case .problem(let text):
            state.say(text, error: true, at: wall)
            effects = []
        }
        effects += leaveIfDone(&state)
        let title = state.windowTitle
        if title != state.title {
            state.title = title
            effects.append(.setTitle(title))
        }
        return effects
    }

    /// An action, as ``reduce(_:_:now:wall:)`` with ``Input/action(_:)``.
    public static func reduce(_ state: inout AppState, _ action: Action, now: Duration, wall: Date) -> [Effect] {
        reduce(&state, .action(action), now: now, wall: wall)
    }

    /// One engine event, as ``reduce(_:_:now:wall:)`` with ``Input/events(_:)``.
    @discardableResult
    public static func apply(_ state: inout AppState, _ event: EngineEvent, now: Duration, wall: Date) -> [Effect] {
        reduce(&state, .events([event]), now: now, wall: wall)
    }

    private static func start(_ state: inout AppState, _ resume: Resume, wall: Date) -> [Effect] {
        var effects: [Effect] = [.listDirectory(state.browser.directory), .loadHistory]
        guard resume.count > 0 else { return effects }
        state.isPaused = true
        effects.append(.engine(.pause))
        // Queued already: their `queued` events, still on their way, take them off the count.
        state.queue.waiting.files += resume.jobs
        if !resume.paths.isEmpty { effects.append(handOver(&state, resume.paths, bytes: 0, walk: resume.walk)) }
        state.say("\(Format.count(resume.count, "unfinished upload")) from the last run, paused: p resumes", at: wall)
        return effects
    }

    private static func act(_ state: inout AppState, _ action: Action, wall: Date) -> [Effect] {
        let layout = Layout(size: state.size)
        // Too small, the panes are not drawn: a key that acted on them (or on a question
        // left open behind the message) would act unseen, `C` then `y` cancelling every
        // upload. Only what the message offers acts: q (and Ctrl-C), and the quit question
        // it opens, which the message then shows.
        if layout.isTooSmall {
            switch action {
            case .quit, .interrupt, .repaint: break
            case .confirm, .keepForLater, .decline, .detach: guard state.overlay == .confirmQuit else { return [] }
            default: return []
            }
        }
        switch action {
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
        case .repaint:
            return [.repaint]
        case .togglePause:
            state.isPaused.toggle()
            if !state.isPaused { state.banner = nil }
            state.say(state.isPaused ? "paused: no new upload starts (p resumes)" : "resumed", at: wall)
            return [.engine(state.isPaused ? .pause : .resume)]
        case .moreJobs, .fewerJobs:
            state.concurrency = max(1, min(64, state.concurrency + (action == .moreJobs ? 1 : -1)))
            state.say("\(Format.count(state.concurrency, "upload")) at once", at: wall)
            return [.engine(.setConcurrency(state.concurrency))]
        case .quit, .confirm, .keepForLater, .decline, .interrupt, .detach:
            return answer(&state, action, wall: wall)
        case .cancelJob, .cancelAllJobs, .retryJob, .retryAllFailed, .showDetail, .copyURL, .toggleEarlier:
            return queueAction(&state, action, layout: layout, wall: wall)
        default:
            return browse(&state, action, layout: layout, wall: wall)
        }
    }

    private static func move(_ state: inout AppState, _ action: Action, layout: Layout) {
        if let overlay = state.overlay {
            scroll(&state, overlay, action, layout: layout)
            return
        }
        let height = state.focus == .browser ? layout.browserRows : layout.queueRows
        let count = state.focus == .browser ? state.browser.visible.count : state.queue.listed.count
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
            // The user moved: the selection stays where they put it.
            state.queue.follows = false
            state.queue.move(by: delta, height: height)
        }
    }

    /// Scrolls an overlay: help and details down from the top, the log up from the newest.
    private static func scroll(_ state: inout AppState, _ overlay: Overlay, _ action: Action, layout: Layout) {
        let page = max(1, layout.overlayRows - 2)
        let down = [Action.moveUp: -1, .moveDown: 1, .pageUp: -page, .pageDown: page][action]
        func clamp(_ value: Int, _ limit: Int) -> Int { max(0, min(limit, value)) }
        switch overlay {
        case .help(let offset):
            let limit = HelpOverlay.maxOffset(state.size, background: state.background)
            state.overlay = .help(offset: clamp(down.map { offset + $0 } ?? (action == .moveFirst ? 0 : limit), limit))
        case .detail(let id, let offset):
            guard let row = state.queue.row(id) else { return }
            let limit = DetailOverlay.maxOffset(row, state: state)
            state.overlay = .detail(id, offset: clamp(down.map { offset + $0 } ?? (action == .moveFirst ? 0 : limit), limit))
        case .log(let offset):
            // Offsets count wrapped lines up from the newest: top is the largest.
            let limit = LogOverlay.maxOffset(state.log, size: state.size)
            state.overlay = .log(offset: clamp(down.map { offset - $0 } ?? (action == .moveFirst ? limit : 0), limit))
        case .confirmQuit, .confirmCancelAll:
            break
        }
    }
}
