import Foundation
import Synchronization

@testable import HoistEngine

/// Every event an engine publishes, recorded as it comes, for tests that look at the
/// engine while jobs are still open (`collect` waits for them all to end).
final class EventLog: Sendable {
    private let store = Mutex<[EngineEvent]>([])

    var events: [EngineEvent] { store.withLock { $0 } }

    /// Starts reading `engine.events`; the task ends when the stream does (after `shutdown`).
    func record(_ engine: UploadEngine) -> Task<Void, Never> {
        Task { for await event in engine.events { store.withLock { $0.append(event) } } }
    }

    /// Whether job `id` has ended (its latest run).
    func ended(_ id: JobID) -> Bool { events.contains { $0.job == id && $0.isTerminal } }
}

/// A time taken once, read from another task.
final class Moment: Sendable {
    private let value = Mutex<Duration?>(nil)
    var time: Duration? { value.withLock { $0 } }
    /// Records `time`, unless one was recorded already; whether this call recorded it.
    @discardableResult
    func mark(_ time: Duration) -> Bool { value.withLock { if $0 == nil { $0 = time; return true } else { return false } } }
}

extension [EngineEvent] {
    /// Engine-clock time from the first attempt's start to the last event: how long the engine
    /// took to answer, not how long a loaded machine took to start the job or the test process
    /// to read it. Nil when no job started.
    var sinceFirstStart: Duration? {
        first { $0.kind == .started }.map { started in (map(\.time).max() ?? .zero) - started.time }
    }

    var retries: [EngineEvent] { filter { if case .retrying = $0.kind { return true } else { return false } } }
    func progress(_ id: JobID) -> [Int64] {
        kinds(id).compactMap { if case .progress(let sent, _) = $0 { return sent } else { return nil } }
    }
}
