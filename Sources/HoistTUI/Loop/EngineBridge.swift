import HoistEngine
import Synchronization

/// Connects the UI thread, which must never await, to the engine actor: events are
/// collected into an inbox the loop drains; commands go out through one ordered channel,
/// so "queue then cancel" can never arrive as "cancel then queue".
final class EngineBridge: Sendable {
    private let inbox = Inbox()
    private let commands: AsyncStream<EngineCommand>.Continuation
    private let tasks: [Task<Void, Never>]

    init(engine: UploadEngine) {
        let (stream, continuation) = AsyncStream.makeStream(of: EngineCommand.self)
        commands = continuation
        let inbox = inbox
        let collector = Task {
            for await event in engine.events { inbox.events.withLock { $0.append(event) } }
        }
        let sender = Task {
            for await command in stream {
                switch command {
                case .add(let paths): await engine.add(paths: paths)
                case .cancel(let id): await engine.cancel(id)
                case .cancelAll: await engine.cancelAllPending()
                case .retry(let id): await engine.retry(id)
                case .pause: await engine.pause()
                case .resume: await engine.resume()
                case .setConcurrency(let n): await engine.setConcurrency(n)
                }
            }
        }
        tasks = [collector, sender]
    }

    /// Sends a command; it runs after every command sent before it.
    func send(_ command: EngineCommand) { commands.yield(command) }

    /// Takes every event that arrived since the last call.
    func drain() -> [EngineEvent] { inbox.events.withLock { events in defer { events = [] }; return events } }

    /// Stops forwarding commands (the sender finishes what it has).
    func finish() { commands.finish() }
}

/// Events waiting for the loop; a class so the collecting task can share it.
private final class Inbox: Sendable {
    let events = Mutex<[EngineEvent]>([])
}
