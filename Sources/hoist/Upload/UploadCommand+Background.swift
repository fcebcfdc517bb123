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
            background = try BackgroundEngine.forUploads(profile: profile, transfer: transfer, asking: true, environment: environment)
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
        // Where each leads, as the engine resolves it (a `..` after a link goes up from the
        // link's target, as the kernel reads it), so that both ways name the same files.
        let absolute = paths.map(UploadEngine.absolute)
        let names = zip(paths, absolute).map { UploadEngine.relativeName($0, absolute: $1) }
        if detach {
            // In parts with no backlog: the whole tree is queued at once, and each part's
            // lines are printed as it comes, so a tree of any size costs the same memory.
            connection.send(.addInParts(absolute, names: names, tag: JobFeed.tag, backlog: nil))
            let feed = JobFeed(connection)
            let printer = Task { await Self.report(detached: feed.events, json: json, dialect: dialect) }
            let ids = await feed.ids
            // Closing ends the feed, and with it the events the printer has yet to read.
            connection.close()
            let failed = await printer.value
            guard ids != nil else {
                throw AgentFailure.report(.lost(connection.endReason ?? "the connection closed before the jobs were queued"))
            }
            if let cut = feed.cutShort { Stderr.write("hoist: the background engine: \(cut)\n") }
            if failed > 0 || feed.cutShort != nil { throw ExitCode(1) }
            return
        }
        // In parts, the walk held at the same backlog as in process: the first upload is
        // reported at once, and neither side holds a record of every file of a large tree.
        connection.send(.addInParts(absolute, names: names, tag: JobFeed.tag, backlog: backlog))
        let feed = JobFeed(connection)
        let clock = MachineEngineClock()
        let interrupts = Self.handleInterrupts(connection, feed: feed)
        let terminated = Termination()
        let termination = Self.handleTermination(connection, terminated: terminated)
        let started = clock.now()
        // Counted from the greeting: bytes of a shared file sent before this command came are not its own.
        var reporter = UploadReporter(json: json, dialect: dialect, progress: progressStyle, concurrency: transfer.concurrency,
                                      countsFrom: .seconds(connection.greeting.clock ?? 0))
        var open = await report(feed.events, until: { await feed.ids ?? [] }, to: &reporter, clock: clock)
        reporter.finish(elapsed: clock.now() - started)
        interrupts.cancel()
        termination.cancel()
        connection.close()
        if terminated.isSet { throw ExitCode(1) }
        // The connection closed before the engine said every id: the jobs it named and
        // that were not seen to end are open, and the rest of the tree was never queued.
        let queuedAll = await feed.ids != nil
        if !queuedAll { open.formUnion(feed.open) }
        // The engine ended the walk before its last path (a stop, another client's cancel of
        // everything): the jobs it named may all have finished, but not every file was queued.
        let cut = feed.stopAsked ? nil : feed.cutShort
        if let cut { Stderr.write("hoist: the background engine: \(cut)\n") }
        let released = feed.releasedCount
        if released > 0 {
            Stderr.write(released == 1
                ? "hoist: 1 upload cancelled here goes on for another command that queued the same file (`hoist jobs` shows it)\n"
                : "hoist: \(released) uploads cancelled here go on for other commands that queued the same files (`hoist jobs` shows them)\n")
        }
        if !open.isEmpty || !queuedAll {
            Stderr.write("hoist: \(AgentError.lost(connection.endReason ?? "the connection closed").message); "
                + "\(open.count) upload\(open.count == 1 ? "" : "s") not seen to finish (`hoist jobs` shows them)"
                + (queuedAll ? "" : ", and the files not yet queued were not") + "\n")
            throw ExitCode(1)
        }
        if cut != nil || reporter.tally.count(.failed) + reporter.tally.count(.cancelled) > 0 { throw ExitCode(1) }
    }

    /// `--detach`: one line per job (its id) as the engine names it, from the job's first
    /// event: `queued`, or `failed` for a file that could not even be queued (missing,
    /// unreadable, unsupported). The events that follow are not this command's to print.
    /// Returns how many failed.
    private static func report(detached events: AsyncStream<EngineEvent>, json: Bool, dialect: Dialect) async -> Int {
        var said = Set<JobID>()
        var failed = 0
        for await event in events where said.insert(event.job).inserted {
            if case .failed(let error) = event.kind {
                failed += 1
                print(json ? event.wireLine(dialect: dialect, remoteID: nil) : "failed #\(event.job.rawValue) \(event.path): \(error.message)")
            } else {
                print(json ? event.wireLine(dialect: dialect, remoteID: nil) : "queued #\(event.job.rawValue) \(event.path)")
            }
        }
        return failed
    }

    /// SIGTERM (`timeout`, `kill`): this command stops following, and says so; the engine
    /// goes on with its uploads (`hoist jobs`). The summary still prints, exit 1, as for any
    /// run that did not see every file complete. A second SIGTERM ends it at once.
    private static func handleTermination(_ connection: AgentConnection, terminated: Termination) -> any DispatchSourceSignal {
        onTermination(terminated, saying: "the background engine goes on with this command's uploads (`hoist jobs` shows them)") {
            connection.close()
        }
    }

    /// Ctrl-C once: stop queueing the rest of the tree and cancel this command's jobs that
    /// have not started; running ones finish. Twice: cancel all of them. Other clients' jobs
    /// are left alone, and so is a file another client queued too: this command lets go of
    /// it (`released`, reported here as cancelled) and it uploads for the other. The
    /// cancels wait for the engine's last `added`, which `stop_add` brings at once, so that
    /// no job queued meanwhile is missed.
    private static func handleInterrupts(_ connection: AgentConnection, feed: JobFeed) -> any DispatchSourceSignal {
        onInterrupt { presses in
            feed.markStopAsked()
            connection.send(AgentRequest(.stopAdd, tag: JobFeed.tag))
            Task {
                _ = await feed.ids
                for id in presses == 1 ? feed.notStarted : feed.open { connection.send(.cancelMine(id.rawValue)) }
            }
        }
    }
}

/// The events of this command's jobs out of the engine's stream. The engine says which
/// jobs the paths got (`added`), in parts as it queues them when the command asked for
/// that; the events of a job are booked until a part names it, then replayed, then passed
/// on live. Only the jobs not yet named are booked: once the last part came nothing is,
/// and jobs already finished when this
/// command connected are dropped at `ready`, since no `add` of it can name them. So a run
/// of 100,000 files holds a batch's worth of events, not every event of every job.
final class JobFeed: Sendable {
    private struct Books {
        var book = JobBook()
        var mine: Set<JobID> = []
        /// The ids named so far, in the order of the paths.
        var named: [JobID] = []
        var started: Set<JobID> = []
        var ended: Set<JobID> = []
        /// Jobs this command let go of (Ctrl-C) that another command asked for too: ended
        /// here as cancelled, their later events another's.
        var released: Set<JobID> = []
        var waiters: [CheckedContinuation<[JobID]?, Never>] = []
        /// Set by the last `added`.
        var ids: [JobID]?
        /// The last `added`'s word that the walk ended before its last path.
        var cutShort: String?
        /// This command asked the engine to stop its walk (Ctrl-C).
        var stopAsked = false
        var closed = false
    }

    /// The tag of the command's one `add` (and of its `stop_add`).
    static let tag = 1

    private let state = Mutex(Books())
    /// This command's jobs' events.
    let events: AsyncStream<EngineEvent>

    init(_ connection: AgentConnection) {
        let (events, sink) = AsyncStream.makeStream(of: EngineEvent.self)
        self.events = events
        Task { [self] in
            for await line in connection.lines {
                switch line {
                case .event(let event):
                    self.state.withLock { books in
                        guard !books.released.contains(event.job) else { return }
                        if case .started = event.kind { books.started.insert(event.job) }
                        if event.isTerminal { books.ended.insert(event.job) }
                        if books.mine.contains(event.job) {
                            sink.yield(event)
                        } else if books.ids == nil {
                            books.book.record(event)
                        }
                    }
                case .notice(let notice) where notice.event == .ready:
                    self.state.withLock { $0.book.dropFinished() }
                case .notice(let notice) where notice.event == .added && notice.tag == Self.tag:
                    let waiters = self.state.withLock { books -> [CheckedContinuation<[JobID]?, Never>] in
                        for id in (notice.jobs ?? []).map(JobID.init) {
                            books.named.append(id)
                            guard books.mine.insert(id).inserted else { continue }
                            let booked = books.book.take(id)
                            for event in booked { sink.yield(event) }
                        }
                        guard notice.more != true else { return [] }
                        books.ids = books.named
                        books.cutShort = notice.reason
                        books.book = JobBook()
                        defer { books.waiters = [] }
                        return books.waiters
                    }
                    for waiter in waiters { waiter.resume(returning: self.state.withLock { $0.ids }) }
                case .notice(let notice) where notice.event == .released:
                    self.state.withLock { books in
                        guard let id = notice.job.map(JobID.init), books.mine.contains(id), !books.ended.contains(id) else { return }
                        books.released.insert(id)
                        books.ended.insert(id)
                        // For this command the job is over: cancelled, as its Ctrl-C asked.
                        sink.yield(EngineEvent(job: id, path: notice.path ?? "#\(id.rawValue)", kind: .cancelled,
                                               time: .seconds(notice.clock ?? 0)))
                    }
                case .notice(let notice) where notice.event == .error:
                    // The engine refused a request (an add while it stops): said, not dropped.
                    Stderr.write("hoist: the background engine: \(notice.message ?? notice.code ?? "refused a request")\n")
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

    /// Every id the engine gave the paths, once the last `added` came; nil when the
    /// connection closed first.
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

    /// Why the engine ended this command's walk before its last path, once the last
    /// `added` said so (nil when every file was queued).
    var cutShort: String? { state.withLock { $0.cutShort } }

    /// How many of this command's jobs it let go of, to other commands that asked for them too.
    var releasedCount: Int { state.withLock { $0.released.count } }

    /// Whether this command itself stopped its walk (Ctrl-C).
    var stopAsked: Bool { state.withLock { $0.stopAsked } }

    func markStopAsked() { state.withLock { $0.stopAsked = true } }

    /// This command's jobs named so far that have not ended / not started.
    var open: [JobID] { state.withLock { books in books.named.filter { !books.ended.contains($0) } } }
    var notStarted: [JobID] { state.withLock { books in books.named.filter { !books.ended.contains($0) && !books.started.contains($0) } } }
}
