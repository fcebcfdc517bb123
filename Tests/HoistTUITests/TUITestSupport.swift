import Foundation
import HoistEngine
import HoistTerminal
import Synchronization
@testable import HoistTUI

/// A state with a directory of known entries, at a fixed size, for reducer and pane tests.
func sampleState(size: Size = Size(rows: 24, columns: 80)) -> AppState {
    var state = AppState(size: size, directory: "/data/photos", destination: "embedded server http://127.0.0.1:9 (lightfield, purpose general)",
                         concurrency: 4)
    Reducer.loaded(&state, directory: "/data/photos", entries: [
        DirectoryEntry(name: "b.jpg", path: "/data/photos/b.jpg", isDirectory: false, size: 2048),
        DirectoryEntry(name: "raw", path: "/data/photos/raw", isDirectory: true, size: 4096),
        DirectoryEntry(name: ".secret", path: "/data/photos/.secret", isDirectory: false, size: 10),
        DirectoryEntry(name: "a.png", path: "/data/photos/a.png", isDirectory: false, size: 3 << 20),
    ])
    state.title = state.windowTitle
    return state
}

let wall = Date(timeIntervalSince1970: 1_800_000_000)

/// The wall clock at `time` on the engine's clock: ``wall`` plus that much.
func wall(at time: Duration) -> Date { wall.addingTimeInterval(Double(time.components.seconds) + Double(time.components.attoseconds) / 1e18) }

/// Applies `kinds` to job `id`, one second apart from `start`: each event's time, and the
/// time the reducer is told, is its second.
func feed(_ state: inout AppState, job id: Int, path: String, _ kinds: [EngineEvent.Kind], start: Duration = .zero) {
    for (i, kind) in kinds.enumerated() {
        let time = start + .seconds(i)
        Reducer.apply(&state, EngineEvent(job: JobID(id), path: path, kind: kind, time: time), now: time, wall: wall(at: time))
    }
}

/// Applies one event of job `id` at `time`.
@discardableResult
func event(_ state: inout AppState, job id: Int, path: String = "/f", _ kind: EngineEvent.Kind, at time: Duration) -> [Effect] {
    Reducer.apply(&state, EngineEvent(job: JobID(id), path: path, kind: kind, time: time), now: time, wall: wall(at: time))
}

/// Sends `actions` through the reducer and collects the effects.
@discardableResult
func press(_ state: inout AppState, _ actions: Action..., at now: Duration = .zero) -> [Effect] {
    actions.flatMap { Reducer.reduce(&state, $0, now: now, wall: wall) }
}

/// Tells the reducer that time moved to `now`, with nothing else happening.
@discardableResult
func tick(_ state: inout AppState, at now: Duration) -> [Effect] {
    Reducer.reduce(&state, .tick, now: now, wall: wall)
}

/// Effects without the window title updates, for tests about something else.
func withoutTitles(_ effects: [Effect]) -> [Effect] {
    effects.filter { if case .setTitle = $0 { return false } else { return true } }
}

/// An engine clock that moves only when told.
final class ManualEngineClock: EngineClock {
    private let current = Mutex<Duration>(.zero)

    func now() -> Duration { current.withLock { $0 } }

    func sleep(for duration: Duration) async throws { advance(by: duration) }

    func advance(by duration: Duration) { current.withLock { $0 += duration } }
}

/// A link the test drives: it records commands and effects asked of the engine, and hands
/// the loop whatever inputs the test posts, as an engine would.
final class ScriptedLink: EngineLink {
    private struct State {
        var inbox: [Input] = []
        var commands: [EngineCommand] = []
        var historyRequests = 0
        var urlRequests: [String] = []
        var problems: [String: EngineError] = [:]
    }

    private let state = Mutex(State())

    var commands: [EngineCommand] { state.withLock { $0.commands } }
    var historyRequests: Int { state.withLock { $0.historyRequests } }
    var urlRequests: [String] { state.withLock { $0.urlRequests } }

    /// Makes ``preflight(_:)`` refuse `path` with `error`.
    func refuse(_ path: String, _ error: EngineError) { state.withLock { $0.problems[path] = error } }

    /// Posts engine events (one batch).
    func post(_ events: EngineEvent...) { state.withLock { $0.inbox.append(.events(events)) } }

    func post(_ input: Input) { state.withLock { $0.inbox.append(input) } }

    func send(_ command: EngineCommand) { state.withLock { $0.commands.append(command) } }
    func loadHistory(limit: Int) { state.withLock { $0.historyRequests += 1 } }
    func fetchURL(job: JobID, remoteID: String) { state.withLock { $0.urlRequests.append(remoteID) } }
    func preflight(_ paths: [String]) -> [EngineError?] { state.withLock { state in paths.map { state.problems[$0] } } }
    func drain() -> [Input] { state.withLock { state in defer { state.inbox = [] }; return state.inbox } }
    func finish() async {}
}
