import Foundation
import HoistEngine
import HoistTerminal

/// The one loop that owns the terminal: drain engine events and answers into the reducer,
/// perform the effects it returns, redraw only when something changed (at most one
/// engine-driven frame per `frameInterval`; a key redraws at once), wait for a key with a
/// timeout. It never changes the state itself. Idle, it draws nothing at all.
final class EventLoop {
    private let screen: any Screen
    private let canvas: Canvas
    private let link: any EngineLink
    private let configuration: TUIConfiguration
    private let wallClock: () -> Date
    private(set) var state: AppState
    private var dirty = true
    private var lastFrame: Duration?
    /// The latest title not yet set: written between frames, at most once a `titleInterval`.
    private var pendingTitle: String?
    private var lastTitle: Duration?
    private var exit: TUIExit?
    /// The paths of a `u` not checked yet.
    private var unchecked = PathList()[...]
    /// The paths of the jobs queued or running when that `u` was pressed, until its first slice.
    private var queuedWhenAsked: [String] = []

    init(screen: any Screen, link: any EngineLink, configuration: TUIConfiguration, wallClock: @escaping () -> Date = Date.init) {
        self.screen = screen
        self.link = link
        self.configuration = configuration
        self.wallClock = wallClock
        canvas = Canvas(screen: screen, theme: configuration.theme, glyphs: configuration.glyphs)
        state = AppState(size: screen.size, directory: configuration.directory, destination: configuration.destination,
                         concurrency: configuration.concurrency)
        state.glyphs = configuration.glyphs
        state.cancelTimeout = configuration.cancelTimeout
        state.background = configuration.background
    }

    private var now: Duration { configuration.clock.now() }

    /// Runs until the user quits or a trapped signal arrives, then gives the title back.
    func run() -> TUIExit {
        var exit = start()
        while exit == nil { exit = step() }
        return finish(exit ?? .quit(keepUnfinished: false))
    }

    /// The first turn: list the directory, read the history, resume the last run's uploads.
    func start() -> TUIExit? {
        receive(.start(configuration.resume))
        return exit
    }

    /// One turn: drain what arrived, let time pass, draw if due, wait for a key until the
    /// next frame is due. Returns how the app ends, once it does.
    func step() -> TUIExit? {
        for input in link.drain() {
            receive(input)
            if let exit { return exit }
        }
        if !unchecked.isEmpty {
            checkSlice()
            if let exit { return exit }
        }
        receive(.tick, redraws: false)
        if let exit { return exit }
        if !dirty, state.changesWithTime, let lastFrame, now - lastFrame >= configuration.tickInterval { dirty = true }
        if dirty, lastFrame.map({ now - $0 >= configuration.frameInterval }) ?? true { draw() }
        // Throttled while things move; the title of a finished state goes out at once.
        if let title = pendingTitle,
           !state.changesWithTime || (lastTitle.map { now - $0 >= configuration.titleInterval } ?? true) {
            screen.setTitle(title)
            pendingTitle = nil
            lastTitle = now
        }
        guard let key = screen.readKey(timeout: waitTime()) else { return nil }
        switch key {
        case .signal(.interrupt):
            receive(.action(.interrupt))
        case .signal(let signal):
            // A hang-up (or a kill) mid-`u`: the rest of its paths are checked and handed to
            // the engine before the view goes, as the user asked. Only this view held them;
            // the engine journals each slice as it comes.
            while !unchecked.isEmpty { checkSlice() }
            return .signal(signal)
        case .resize:
            receive(.resized(screen.size))
        default:
            guard let action = KeyMap.action(for: key, in: state) else { return nil }
            receive(.action(action))
        }
        if let exit { return exit }
        // Keys answer at once; only engine-driven redraws are paced.
        draw()
        return nil
    }

    /// Gives the terminal's title back and passes `exit` on.
    func finish(_ exit: TUIExit) -> TUIExit {
        screen.setTitle(nil)
        return exit
    }

    private func receive(_ input: Input, redraws: Bool = true) {
        let effects = Reducer.reduce(&state, input, now: now, wall: wallClock())
        if redraws { dirty = true }
        perform(effects)
    }

    /// How long to wait for a key: until the next paced frame or tick is due, and never
    /// long, since engine events do not wake the wait.
    private func waitTime() -> Duration {
        // A `u` being checked, or a snapshot coming in parts: the next turn is due at once.
        if !unchecked.isEmpty || state.attachingAgain != nil { return .milliseconds(1) }
        let poll: Duration = state.isQuitting ? .milliseconds(50) : .milliseconds(100)
        guard let lastFrame else { return poll }
        let since = now - lastFrame
        if dirty { return max(.milliseconds(1), min(poll, configuration.frameInterval - since)) }
        if state.changesWithTime || pendingTitle != nil {
            return max(.milliseconds(1), min(poll, configuration.tickInterval - since))
        }
        return poll
    }

    /// Checks and queues the next slice of a `u`'s paths. A slice a turn: the engine queues
    /// each on its own thread, and the screen is drawn and keys are read between slices, so
    /// the first uploads of 100,000 marked files start, and show, after one small slice's
    /// checks rather than after all of them.
    private func checkSlice() {
        let isFirst = unchecked.startIndex == 0
        let slice = unchecked.prefix(isFirst ? configuration.firstCheckSlice : configuration.checkSlice)
        unchecked = unchecked.dropFirst(slice.count)
        let checks = PathChecker.check(Array(slice), preflight: link.preflight)
        let final = unchecked.isEmpty
        // The whole list goes once the last slice is checked, not when the next `u` comes.
        if final { unchecked = PathList()[...] }
        receive(.preflighted(checks, final: final, inQueue: isFirst ? PathChecker.fileKeys(queuedWhenAsked) : [],
                             remaining: unchecked.count))
        if isFirst { queuedWhenAsked = [] }
        FreeMemory.giveBack()
    }

    private func draw() {
        AppView.draw(state, on: canvas)
        lastFrame = now
        dirty = false
    }

    private func perform(_ effects: [Effect]) {
        for effect in effects {
            switch effect {
            case .engine(let command):
                // Everything dropped: the rest of a `u` still being checked goes with it.
                if command == .cancelAll {
                    unchecked = PathList()[...]
                    queuedWhenAsked = []
                }
                link.send(command)
            case .listDirectory(let path):
                do {
                    receive(.listed(directory: path, entries: try DirectoryReader.list(path, preflight: link.preflight), sorted: true))
                    FreeMemory.giveBack()
                } catch {
                    receive(.listFailed(directory: path, reason: DirectoryReader.reason(error)))
                }
            case .preflight(let paths, let queued):
                // A `u` still being checked is finished first: its slices stay in order.
                while !unchecked.isEmpty { checkSlice() }
                unchecked = paths[...]
                queuedWhenAsked = queued
                checkSlice()
            case .loadHistory:
                link.loadHistory(limit: configuration.historyLimit)
            case .fetchURL(let job, let remoteID):
                link.fetchURL(job: job, remoteID: remoteID)
            case .setTitle(let title):
                pendingTitle = title
            case .copyToClipboard(let text):
                screen.copyToClipboard(text)
            case .repaint:
                screen.invalidate()
                dirty = true
            case .exit(let exit):
                self.exit = exit
            }
        }
    }
}
