import ArgumentParser
import Foundation
import HoistAgent
import HoistEngine
import Synchronization

extension UploadCommand {
    /// `hoist upload` as a client of the background engine: the same lines and exit codes
    /// as in-process, but the uploads belong to the engine, so a hang-up of this terminal
    /// does not stop them. With `--detach`, queue and return.
    func runInBackground(environment: [String: String]) async throws {
        let background: BackgroundEngine
        do {
            background = try BackgroundEngine.forUploads(profile: profile, transfer: transfer, environment: environment)
        } catch {
            throw ConfigurationFailure.report(error)
        }
        let connection: AgentConnection
        do {
            connection = try await background.connect()
        } catch {
            throw AgentFailure.report(error)
        }
        let dialect = connection.greeting.profile.dialect
        let absolute = paths.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        connection.send(.add(absolute, names: paths.map(UploadEngine.relativeName), tag: 1))
        let feed = JobFeed(connection, keepsSnapshot: detach)
        guard let ids = await feed.ids else {
            throw AgentFailure.report(.lost(connection.endReason ?? "the connection closed before the jobs were queued"))
        }
        if detach {
            connection.close()
            try await report(detached: ids, feed: feed, dialect: dialect)
            return
        }
        let clock = MachineEngineClock()
        let interrupts = Self.handleInterrupts(connection, feed: feed)
        let started = clock.now()
        var reporter = UploadReporter(json: json, dialect: dialect, progress: progressStyle, concurrency: transfer.concurrency)
        let open = await report(feed.events, until: { ids }, to: &reporter, clock: clock)
        reporter.finish(elapsed: clock.now() - started)
        interrupts.cancel()
        connection.close()
        if !open.isEmpty {
            Stderr.write("hoist: \(AgentError.lost(connection.endReason ?? "the connection closed").message); "
                + "\(open.count) upload\(open.count == 1 ? "" : "s") not seen to finish (`hoist jobs` shows them)\n")
            throw ExitCode(1)
        }
        if reporter.tally.count(.failed) + reporter.tally.count(.cancelled) > 0 { throw ExitCode(1) }
    }

    /// `--detach`: one line per job (its id), then exit: 0, or 1 when some could not even
    /// be queued (missing, unreadable, unsupported).
    private func report(detached ids: [JobID], feed: JobFeed, dialect: Dialect) async throws {
        let known = feed.snapshot
        var failed = 0
        for id in ids {
            let events = known.filter { $0.job == id }
            let path = events.first?.path ?? "?"
            if let failure = events.last, case .failed(let error) = failure.kind {
                failed += 1
                print(json ? failure.wireLine(dialect: dialect, remoteID: nil) : "failed #\(id.rawValue) \(path): \(error.message)")
            } else if let queued = events.first(where: { if case .queued = $0.kind { true } else { false } }) {
                print(json ? queued.wireLine(dialect: dialect, remoteID: nil) : "queued #\(id.rawValue) \(path)")
            } else {
                print(json ? #"{"event":"queued","job":\#(id.rawValue)}"# : "queued #\(id.rawValue) \(path)")
            }
        }
        if failed > 0 { throw ExitCode(1) }
    }

    /// Ctrl-C once: cancel this command's jobs that have not started; running ones finish.
    /// Twice: cancel all of them. (Other clients' jobs are left alone.)
    private static func handleInterrupts(_ connection: AgentConnection, feed: JobFeed) -> any DispatchSourceSignal {
        onInterrupt { presses in
            for id in presses == 1 ? feed.notStarted : feed.open { connection.send(.job(.cancel, id.rawValue)) }
        }
    }
}

/// The events of this command's jobs out of the engine's stream: everything is booked
/// until the engine says which ids the paths got (`added`), then those jobs' events so
/// far, then theirs live. Once the ids are known nothing more is booked (unless the
/// snapshot is kept, for `--detach`): a run of 100,000 files would book every event of
/// every job, 400 MB of them.
final class JobFeed: Sendable {
    private struct Books {
        var book = JobBook()
        var mine: Set<JobID>?
        var started: Set<JobID> = []
        var ended: Set<JobID> = []
        var waiters: [CheckedContinuation<[JobID]?, Never>] = []
        var ids: [JobID]?
        var closed = false
    }

    private let state = Mutex(Books())
    /// This command's jobs' events.
    let events: AsyncStream<EngineEvent>

    init(_ connection: AgentConnection, keepsSnapshot: Bool = false) {
        let (events, sink) = AsyncStream.makeStream(of: EngineEvent.self)
        self.events = events
        Task { [self] in
            for await line in connection.lines {
                switch line {
                case .event(let event):
                    self.state.withLock { books in
                        if books.mine == nil || keepsSnapshot { books.book.record(event) }
                        if case .started = event.kind { books.started.insert(event.job) }
                        if event.isTerminal { books.ended.insert(event.job) }
                        if let mine = books.mine, mine.contains(event.job) { sink.yield(event) }
                    }
                case .notice(let notice) where notice.event == .added && notice.tag == 1:
                    let waiters = self.state.withLock { books -> [CheckedContinuation<[JobID]?, Never>] in
                        let ids = (notice.jobs ?? []).map(JobID.init)
                        books.ids = ids
                        books.mine = Set(ids)
                        for event in books.book.replay where books.mine?.contains(event.job) == true { sink.yield(event) }
                        if !keepsSnapshot { books.book = JobBook() }
                        defer { books.waiters = [] }
                        return books.waiters
                    }
                    for waiter in waiters { waiter.resume(returning: self.state.withLock { $0.ids }) }
                default:
                    break
                }
            }
            sink.finish()
            let waiters = self.state.withLock { books -> [CheckedContinuation<[JobID]?, Never>] in
                books.closed = true
                defer { books.waiters = [] }
                return books.waiters
            }
            for waiter in waiters { waiter.resume(returning: nil) }
        }
    }

    /// The ids the engine gave the paths; nil when the connection closed first.
    var ids: [JobID]? {
        get async {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { books -> [JobID]?? in
                    if let ids = books.ids { return .some(ids) }
                    if books.closed { return .some(nil) }
                    books.waiters.append(continuation)
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }

    /// Every event read so far (for `--detach`'s lines; kept only with `keepsSnapshot`).
    var snapshot: [EngineEvent] { state.withLock { $0.book.replay } }

    /// This command's jobs that have not ended / not started.
    var open: [JobID] { state.withLock { books in (books.ids ?? []).filter { !books.ended.contains($0) } } }
    var notStarted: [JobID] { state.withLock { books in (books.ids ?? []).filter { !books.ended.contains($0) && !books.started.contains($0) } } }
}
