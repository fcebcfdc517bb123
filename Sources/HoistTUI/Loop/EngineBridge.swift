import HoistEngine
import Synchronization

/// Connects the UI thread, which must never await, to the engine actor: events and the
/// answers of asynchronous effects are collected into an inbox the loop drains; commands go
/// out through one ordered channel, so "queue then cancel" can never arrive as "cancel then
/// queue".
final class EngineBridge: EngineLink {
    private let engine: UploadEngine
    private let inbox = Inbox()
    private let commands: AsyncStream<EngineCommand>.Continuation
    private let tasks: [Task<Void, Never>]

    init(engine: UploadEngine) {
        self.engine = engine
        let (stream, continuation) = AsyncStream.makeStream(of: EngineCommand.self)
        commands = continuation
        let inbox = inbox
        let collector = Task {
            for await event in engine.events { inbox.post(event) }
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

    func send(_ command: EngineCommand) { commands.yield(command) }

    func loadHistory(limit: Int) {
        let engine = engine, inbox = inbox
        Task { inbox.post(.history(await engine.history(limit: limit))) }
    }

    func fetchURL(job: JobID, remoteID: String) {
        let api = engine.api, inbox = inbox
        Task {
            do throws(EngineError) {
                inbox.post(.fetchedURL(job: job, .success(try await api.downloadURL(id: remoteID))))
            } catch {
                inbox.post(.fetchedURL(job: job, .failure(error)))
            }
        }
    }

    func preflight(_ paths: [String]) -> [EngineError?] { engine.preflight(paths) }

    func drain() -> [Input] { inbox.take() }

    func finish() { commands.finish() }
}
