import Foundation
import HoistEngine
import HoistTerminal

/// The one loop that owns the terminal: drain engine events into the state, redraw only
/// when something changed (at most one frame per `frameInterval`), wait for a key with a
/// timeout. Idle, it draws nothing at all.
final class EventLoop {
    private let screen: any Screen
    private let canvas: Canvas
    private let bridge: EngineBridge
    private let configuration: TUIConfiguration
    private let start = ContinuousClock.now
    private(set) var state: AppState
    private var dirty = true
    private var lastFrame: Duration?
    /// Set when quitting waits for cancels: leave at the latest then.
    private var quitDeadline: Duration?

    init(screen: any Screen, bridge: EngineBridge, configuration: TUIConfiguration) {
        self.screen = screen
        self.bridge = bridge
        self.configuration = configuration
        canvas = Canvas(screen: screen, theme: configuration.theme, glyphs: configuration.glyphs)
        state = AppState(size: screen.size, directory: configuration.directory, destination: configuration.destination,
                         concurrency: configuration.concurrency)
    }

    private var now: Duration { ContinuousClock.now - start }

    /// Runs until the user quits or a trapped signal arrives.
    func run() -> TUIExit {
        perform([.listDirectory(configuration.directory)])
        if !configuration.resumePaths.isEmpty {
            state.isPaused = true
            bridge.send(.pause)
            bridge.send(.add(configuration.resumePaths))
            let count = configuration.resumePaths.count
            state.say("\(count) unfinished upload\(count == 1 ? "" : "s") from the last run, paused: p resumes", at: Date())
        }
        while true {
            let events = bridge.drain()
            for event in events { Reducer.apply(&state, event, now: now, wall: Date()) }
            if !events.isEmpty { dirty = true }
            if let deadline = quitDeadline, state.queue.unfinished.isEmpty || now >= deadline { return .quit }
            if dirty, lastFrame.map({ now - $0 >= configuration.frameInterval }) ?? true { draw() }
            guard let key = screen.readKey(timeout: waitTime()) else { continue }
            if case .signal(let signal) = key {
                if signal == .interrupt {
                    handle(.interrupt)
                    if state.isQuitting, quitDeadline == nil { return .quit }
                    continue
                }
                return .signal(signal)
            }
            if key == .resize { state.size = screen.size }
            guard let action = KeyMap.action(for: key, in: state) else { continue }
            handle(action)
            if state.isQuitting, quitDeadline == nil { return .quit }
            // Keys answer at once; only engine-driven redraws are paced.
            draw()
        }
    }

    private func handle(_ action: Action) {
        perform(Reducer.reduce(&state, action, now: now, wall: Date()))
        dirty = true
    }

    private func waitTime() -> Duration {
        guard dirty, let lastFrame else { return .milliseconds(100) }
        return max(.milliseconds(1), configuration.frameInterval - (now - lastFrame))
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
                bridge.send(command)
            case .listDirectory(let path):
                do {
                    Reducer.loaded(&state, directory: path, entries: try DirectoryReader.list(path))
                } catch {
                    Reducer.loadFailed(&state, directory: path, reason: (error as NSError).localizedDescription, wall: Date())
                    if state.browser.entries.isEmpty { state.browser.error = "cannot read \(path)" }
                }
            case .quit(let cancelling):
                guard cancelling else { continue }
                // Stay on screen while the server cancels the sessions, so the user sees it happen.
                bridge.send(.cancelAll)
                state.isQuitting = true
                state.say("cancelling \(state.queue.unfinished.count) pending upload(s)…", at: Date())
                quitDeadline = now + configuration.cancelTimeout
            }
        }
    }
}
