import Foundation
import HoistAgent
import HoistEngine
import Synchronization

/// The event loop's link to the background engine: commands go out on the socket, the
/// snapshot and live events come back as inputs. When the connection drops it says so and
/// connects again (starting a new engine if the old one died), so the screen is never a
/// silent dead one.
final class AgentLink: EngineLink {
    private let inbox = Inbox()
    private let state = LinkBox()
    private let commands: AsyncStream<AgentRequest>.Continuation
    private let tasks: [Task<Void, Never>]
    private let profile: Profile
    private let journal: (path: String, key: String)?

    final class LinkBox: Sendable {
        let value = Mutex(LinkState())
    }

    struct LinkState {
        var connection: AgentConnection?
        /// Commands sent while disconnected: they go out on the next connection.
        var pending: [AgentRequest] = []
        var nextTag = 0
        var urlRequests: [Int: JobID] = [:]
        /// A slice the journal could not record (the engine holding it): none is tried until then.
        var journalStuckUntil: ContinuousClock.Instant?
    }

    /// - Parameters:
    ///   - first: the connection `hoist` made before taking over the terminal.
    ///   - reconnect: connects again; `true` allows starting an engine when none runs.
    ///     After a crash the view starts one (it resumes the journal); after the engine
    ///     said it was stopping (`hoist stop`, idle) it only attaches to one that runs, so a
    ///     view left open never undoes a stop.
    ///   - profile: the destination, for local preflight checks.
    ///   - journal: the journal's path and key, read for earlier uploads (`H`).
    init(first: AgentConnection, reconnect: @escaping @Sendable (_ start: Bool) async throws(AgentError) -> AgentConnection,
         profile: Profile, journal: (path: String, key: String)?) {
        self.profile = profile
        self.journal = journal
        // The engine's journal, where each slice of a `u` is recorded before it is sent.
        // Waited for briefly: the engine's writes take milliseconds, and one that holds the
        // journal for a second is hung (or stopped); the slice then goes without a record.
        let walks = journal.flatMap { try? Journal.open(path: $0.path, waiting: 1) }
        let (stream, continuation) = AsyncStream.makeStream(of: AgentRequest.self)
        commands = continuation
        let inbox = inbox, state = state
        let sender = Task {
            for await command in stream {
                var request = command
                // A slice of a `u` is journaled before it goes, as the embedded engine's
                // slices are: one the engine never reads (the view hung up, the engine
                // stopped or died first) waits there for the next engine, where it would
                // have been lost with this process. Here, not on the view's thread: a journal
                // the engine holds makes the write wait (up to a second), and keys must not.
                if request.op == .add, request.parts == true, let walks, let key = journal?.key, let paths = request.paths,
                   state.value.withLock({ $0.journalStuckUntil.map { $0 < .now } ?? true }) {
                    request.walk = UploadEngine.journalWalk(paths, in: walks, endpoint: key)?.journalID
                    // Not tried again for a while: the slices of a `u` behind it would each wait too.
                    if request.walk == nil { state.value.withLock { $0.journalStuckUntil = .now.advanced(by: .seconds(10)) } }
                }
                let connection = state.value.withLock { link -> AgentConnection? in
                    if link.connection == nil { link.pending.append(request) }
                    return link.connection
                }
                connection?.send(request)
            }
        }
        let supervisor = Task {
            var next: AgentConnection? = first
            var stopped = false
            var said: String?
            while !Task.isCancelled {
                if let connection = next {
                    stopped = await Self.follow(connection, inbox: inbox, state: state)
                    next = nil
                    said = nil
                    continue
                }
                do throws(AgentError) {
                    next = try await reconnect(!stopped)
                } catch {
                    let text = stopped && error.isNotRunning
                        ? "the background engine stopped; this view attaches again when one starts (`hoist` in another terminal)"
                        : error.message + (error.isPermanent ? "" : "; trying again")
                    // Said once, not once a second.
                    if text != said { inbox.post(.engineLost(text)) }
                    said = text
                    if error.isPermanent { return }
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
        tasks = [sender, supervisor]
    }

    /// Reads one connection to its end: the snapshot in parts (``Input/snapshotPart(engine:events:)``,
    /// then ``Input/attached(engine:snapshot:)``), then live events. Whether the engine said
    /// it was stopping (rather than vanishing).
    private static func follow(_ connection: AgentConnection, inbox: Inbox, state: LinkBox) async -> Bool {
        var stopping = false
        var snapshot: [EngineEvent]? = []
        let engine = Self.describe(connection.greeting)
        for await line in connection.lines {
            switch line {
            case .event(let event):
                guard snapshot != nil else {
                    inbox.post(event)
                    continue
                }
                snapshot?.append(event)
                guard let part = snapshot, part.count >= Self.snapshotPart else { continue }
                // Handed on in parts, each once the loop has taken the one before (it
                // turns at once while attaching): with the connection reading no further
                // than its reader, the snapshot of 100,000 done jobs is never all held.
                await inbox.taken()
                inbox.post(.snapshotPart(engine: engine, events: part))
                snapshot = []
            case .notice(let notice):
                switch notice.event {
                case .ready:
                    inbox.post(.attached(engine: engine, snapshot: snapshot ?? []))
                    Self.postSettings(connection.greeting, to: inbox)
                    snapshot = nil
                    // Commands wait for `ready` (queued as they were while disconnected),
                    // then go in the order they were given: a `C` typed during the snapshot
                    // must not overtake a `u` typed before the connection came back.
                    state.value.withLock { link in
                        for request in link.pending { connection.send(request) }
                        link.pending = []
                        link.connection = connection
                    }
                case .url:
                    guard let tag = notice.tag, let job = state.value.withLock({ $0.urlRequests.removeValue(forKey: tag) }) else { break }
                    if let url = notice.url {
                        inbox.post(.fetchedURL(job: job, .success(url)))
                    } else {
                        let error = EngineError(codeName: notice.code ?? "", message: notice.message ?? "no URL")
                            ?? .protocolViolation(notice.message ?? "no URL")
                        inbox.post(.fetchedURL(job: job, .failure(error)))
                    }
                case .stopping:
                    stopping = true
                    inbox.post(.engineLost("the background engine is stopping (\(notice.reason ?? "asked to"))"))
                case .error:
                    inbox.post(.engineLost(notice.message ?? "the background engine refused a request"))
                case .settings:
                    Self.postSettings(notice, to: inbox)
                case .added:
                    // A slice of a `u` the engine lost: the other reasons follow the user's
                    // own cancel or the engine's stop, which the view already shows.
                    if let reason = notice.reason, reason.hasPrefix(AgentHost.journalLoss) {
                        inbox.post(.problem("a slice of the files queued: " + reason))
                    }
                case .hello, .released:
                    // A view cancels for everyone, never with `mine`: no job is released to it.
                    break
                }
            }
        }
        state.value.withLock { $0.connection = nil }
        if !stopping {
            inbox.post(.engineLost(AgentError.lost(connection.endReason ?? "the connection closed").message + "; reconnecting"))
        }
        return stopping
    }

    /// Events of a snapshot handed to the loop at once.
    static let snapshotPart = 2048

    private static func postSettings(_ notice: AgentNotice, to inbox: Inbox) {
        guard let paused = notice.paused, let concurrency = notice.concurrency else { return }
        inbox.post(.engineSettings(paused: paused, concurrency: concurrency))
        if let waiting = Self.waiting(notice) { inbox.post(.engineWaiting(waiting)) }
    }

    private static func describe(_ greeting: AgentNotice) -> AttachedEngine {
        AttachedEngine(instance: greeting.instance, pid: greeting.pid ?? 0, version: greeting.version ?? "?",
                       waiting: waiting(greeting), unlistedDone: greeting.unlistedDone ?? UnlistedJobs())
    }

    /// What a `hello` or `settings` says waits to be queued (nil from an engine that does not say).
    private static func waiting(_ notice: AgentNotice) -> EngineWaiting? {
        notice.waitingFiles.map { EngineWaiting(files: $0, bytes: notice.waitingBytes ?? 0) }
    }

    func send(_ command: EngineCommand) {
        let request: AgentRequest
        switch command {
        case .add(let paths, let bytes, _):
            // In parts and held at a backlog, as the embedded engine's adds: the engine
            // holds jobs for the files on their way, and this view rows for them, not for
            // all of a `u` of 100,000 at once. The rest waits in the engine's journal.
            let tag = state.value.withLock { link -> Int in
                link.nextTag += 1
                return link.nextTag
            }
            // Journaled by the sender before it goes (see `init`).
            request = .addInParts(paths, tag: tag, backlog: UploadEngine.defaultBacklog, bytes: bytes)
        case .cancel(let id): request = .job(.cancel, id.rawValue)
        case .cancelAll: request = AgentRequest(.cancelAll)
        case .retry(let id): request = .job(.retry, id.rawValue)
        case .pause: request = AgentRequest(.pause)
        case .resume: request = AgentRequest(.resume)
        case .setConcurrency(let value): request = .value(.concurrency, Int64(value))
        }
        commands.yield(request)
    }

    func loadHistory(limit: Int) {
        let inbox = inbox, journal = journal
        Task {
            guard let journal, let opened = try? Journal.open(path: journal.path) else {
                inbox.post(.history([]))
                return
            }
            inbox.post(.history((try? opened.completed(endpoint: journal.key, limit: limit)) ?? []))
        }
    }

    func fetchURL(job: JobID, remoteID: String) {
        let tag = state.value.withLock { link -> Int in
            link.nextTag += 1
            link.urlRequests[link.nextTag] = job
            return link.nextTag
        }
        commands.yield(.job(.url, job.rawValue, tag: tag))
    }

    func preflight(_ paths: [String]) -> [EngineError?] { UploadEngine.preflight(paths, profile: profile) }

    func drain() -> [Input] { inbox.take() }

    func finish() async {
        commands.finish()
        // The commands sent last (a cancel before quitting, the slices of a `u` a hang-up
        // cut short) reach the engine first: the connection is closed after them, and the
        // view waits until the engine has read them (or the connection's hand-over timeout).
        await tasks[0].value
        tasks[1].cancel()
        let connection = state.value.withLock { $0.connection }
        connection?.close()
        await connection?.closed()
    }
}
