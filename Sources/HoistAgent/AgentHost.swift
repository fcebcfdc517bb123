import Foundation
import HoistEngine

/// The background engine's heart: one `UploadEngine`, the book of its jobs, and the
/// clients watching it. Every client gets the snapshot and then every event, in order;
/// commands from any client act on the one queue, so two viewers always agree.
public actor AgentHost {
    /// What the host says about itself and how long it stays without work.
    public struct Settings: Sendable {
        /// Where uploads go, for the status pane.
        public var label: String
        /// The hoist version, for the greeting.
        public var version: String
        /// With no client and nothing queued or running for this long, the engine exits.
        public var idleTimeout: Duration
        /// Lines a connection may have waiting for its socket; a watcher that falls this far
        /// behind is dropped (it attaches again to a fresh snapshot). The snapshot itself
        /// does not count: it is written as the socket takes it.
        public var lineBuffer: Int
        /// Completed jobs the snapshot keeps whole, the latest; older ones it counts
        /// (``JobBook/unlisted``), so the engine's memory does not grow with every file.
        public var keepsDone: Int
        /// The settings this engine applies to every upload, by flag (see
        /// ``AgentRequest/options``): a client that asks for others is refused.
        public var options: [String: String]
        /// Told the settings (as ``options``) each time a view changes one (`+`/`-`, the rate).
        public var onOptionsChange: @Sendable ([String: String]) -> Void
        public init(label: String, version: String, idleTimeout: Duration, lineBuffer: Int = 200_000, keepsDone: Int = JobBook.defaultKeepsDone,
                    options: [String: String] = [:], onOptionsChange: @escaping @Sendable ([String: String]) -> Void = { _ in }) {
            self.label = label
            self.version = version
            self.idleTimeout = idleTimeout
            self.lineBuffer = lineBuffer
            self.keepsDone = keepsDone
            self.options = options
            self.onOptionsChange = onOptionsChange
        }
    }

    private let engine: UploadEngine
    private let settings: Settings
    private let clock: any EngineClock
    private let started = Date().timeIntervalSince1970
    private var book: JobBook
    private var watchers: [Int: AsyncStream<Outgoing>.Continuation] = [:]
    private var greeted: Set<Int> = []
    private var connections: [Int: AsyncStream<Outgoing>.Continuation] = [:]
    private var nextConnection = 0
    private var paused: Bool
    private var concurrency: Int
    private var rateLimit: Int64?
    /// ``Settings/options`` as they are now: a view may change the rate and the job count.
    private var liveOptions: [String: String]
    private var quietSince: Duration
    private var stopping = false
    /// Whether the stop under way keeps what is unfinished for the next engine (all but
    /// `hoist stop --now`).
    private var keepsUnfinished = true
    private var stoppedWaiters: [CheckedContinuation<Void, Never>] = []
    private var stopped = false
    /// `added` answers waiting until the book holds their jobs' first events: the engine
    /// emits them before `add` returns, but they reach the book through `run()`, and a
    /// client must see a job's `queued` before the answer that names it.
    private var pendingAdded: [(connection: Int, notice: AgentNotice, unseen: Set<JobID>, walk: ObjectIdentifier?)] = []
    /// The `add`s answered in parts whose walk goes on, by connection and tag (`stop_add`).
    /// A walk outlives its connection: a client's hang-up does not stop its uploads.
    private var walks: [Walk: AddParts] = [:]
    /// Every `add` in parts not over, begun or still waiting its turn, with what it has not
    /// queued yet: what views count as waiting (`AgentNotice.waitingFiles`), and what a
    /// cancel of everything stops.
    private var pending: [ObjectIdentifier: PendingAdd] = [:]
    /// The waiting files and bytes last told to watchers.
    private var waitingSaid = Waiting()
    /// Each connection's last `add` in parts: the next one begins once it has ended, so one
    /// client's adds queue in the order sent and together keep to about one backlog. The
    /// TUI hands a large `u` over as slices; begun at once, their files would interleave,
    /// and each held walk, woken when the queue falls to half the backlog, would add a
    /// batch of its own (25 slices: 12,800 jobs past it).
    private var lastAdd: [Int: (serial: Int, task: Task<Void, Never>)] = [:]
    private var addSerial = 0
    /// The walks their own client stopped (`stop_add`), until their last answer.
    private var stoppedByClient: Set<ObjectIdentifier> = []
    /// Who asked for each unfinished job: a command's Ctrl-C cancels a file another command
    /// (or a view) also queued only for itself.
    private var holders = JobHolders()

    private struct PendingAdd {
        let parts: AddParts
        /// The paths not reached yet, and the bytes the client said of them.
        var left: Waiting
    }

    private struct Waiting: Equatable {
        var files = 0
        var bytes: Int64 = 0
    }

    private struct Walk: Hashable {
        var connection: Int
        var tag: Int?
    }

    /// Hosts `engine`; start ``run()`` to follow its events.
    public init(engine: UploadEngine, settings: Settings, clock: any EngineClock, concurrency: Int, rateLimit: Int64?) async {
        self.engine = engine
        self.settings = settings
        self.clock = clock
        book = JobBook(keepsDone: settings.keepsDone)
        self.concurrency = concurrency
        self.rateLimit = rateLimit
        liveOptions = settings.options
        paused = await engine.isPaused
        quietSince = clock.now()
    }

    /// Follows the engine's events until it shuts down, and watches for idleness.
    public func run() async {
        let idle = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                await self?.checkIdle()
                await self?.checkConcurrency()
            }
        }
        for await event in engine.events { receive(event) }
        idle.cancel()
        await answerLastAdds()
        finishAll()
    }

    /// Waits until the engine stopped and every client was told.
    public func waitUntilStopped() async {
        if stopped { return }
        await withCheckedContinuation { stoppedWaiters.append($0) }
    }

    // MARK: connections

    /// What a connection is sent, in order: lines, and the snapshot.
    public enum Outgoing: Sendable {
        case line(String)
        /// Every job of the book as it was at the greeting, written a batch of lines at a
        /// time as the socket takes them: 100,000 jobs made 300,000 lines, more than the
        /// connection's buffer holds, and the lines past it were lost (`ready` among them).
        case snapshot(Snapshot)
    }

    /// The book at a client's greeting, turned into lines only as they are written.
    public struct Snapshot: Sendable {
        let book: JobBook
        let dialect: Dialect

        /// The lines, about `bytes` at a time, in the order of `JobBook.replay`.
        public func chunks(of bytes: Int) -> some Sequence<String> {
            let ids = book.ids
            return AnySequence {
                var next = 0
                return AnyIterator { () -> String? in
                    guard next < ids.count else { return nil }
                    var text = ""
                    while next < ids.count, text.utf8.count < bytes {
                        for event in book.events(of: ids[next]) { text += book.wireLine(event, dialect: dialect) }
                        next += 1
                    }
                    return text
                }
            }
        }
    }

    /// A new connection: its id and what to send it.
    public func open() -> (Int, AsyncStream<Outgoing>) {
        nextConnection += 1
        let (stream, continuation) = AsyncStream.makeStream(of: Outgoing.self, bufferingPolicy: .bufferingOldest(settings.lineBuffer))
        connections[nextConnection] = continuation
        quietSince = clock.now()
        if stopped { continuation.finish() }
        return (nextConnection, stream)
    }

    /// The connection closed.
    public func close(_ id: Int) {
        connections[id]?.finish()
        connections[id] = nil
        watchers[id] = nil
        greeted.remove(id)
        quietSince = clock.now()
    }

    /// One line from connection `id`.
    public func handle(_ text: String, from id: Int) async {
        guard let request = try? JSONDecoder().decode(AgentRequest.self, from: Data(text.utf8)) else {
            send(error: "bad_request", "not a request: \(text.prefix(200))", to: id)
            return
        }
        if request.op == .hello {
            hello(request, from: id)
            return
        }
        guard greeted.contains(id) else {
            send(error: "bad_request", "send hello first", to: id)
            connections[id]?.finish()
            return
        }
        await perform(request, from: id)
    }

    private func hello(_ request: AgentRequest, from id: Int) {
        guard let connection = connections[id] else { return }
        guard request.protocolVersion == AgentProtocol.version else {
            var notice = AgentNotice(.error)
            notice.code = "version_mismatch"
            notice.protocolVersion = AgentProtocol.version
            notice.version = settings.version
            notice.pid = getpid()
            notice.message = AgentError.versionMismatch(
                client: request.protocolVersion ?? 0, clientVersion: request.version ?? "unknown",
                engine: AgentProtocol.version, engineVersion: settings.version, pid: getpid()).message
            connection.yield(.line(notice.line))
            connection.finish()
            return
        }
        if let wanted = request.destination, wanted != engine.destinationKey {
            var notice = AgentNotice(.error)
            notice.code = "destination_mismatch"
            notice.destination = engine.destinationKey
            notice.message = AgentError.destinationMismatch(engine: engine.destinationKey, client: wanted).message
            connection.yield(.line(notice.line))
            connection.finish()
            return
        }
        let differing = (request.options ?? [:]).filter { liveOptions[$0.key] != $0.value }.sorted { $0.key < $1.key }
        if !differing.isEmpty {
            // Never silently the engine's: a --no-clobber dropped would overwrite.
            var notice = AgentNotice(.error)
            notice.code = "options_mismatch"
            notice.message = AgentError.optionsMismatch(
                engine: differing.map { "\($0.key) \(liveOptions[$0.key] ?? "unset")" },
                client: differing.map { "\($0.key) \($0.value)" }).message
            connection.yield(.line(notice.line))
            connection.finish()
            return
        }
        var greeting = settingsNotice(.hello)
        greeting.protocolVersion = AgentProtocol.version
        greeting.version = settings.version
        greeting.pid = getpid()
        greeting.started = started
        greeting.destination = engine.destinationKey
        greeting.label = settings.label
        greeting.dialect = engine.profile.dialect.rawValue
        greeting.purpose = engine.profile.purpose
        greeting.clock = clock.now().secondsValue
        if !book.unlisted.isEmpty { greeting.unlistedDone = book.unlisted }
        connection.yield(.line(greeting.line))
        connection.yield(.snapshot(Snapshot(book: book, dialect: engine.profile.dialect)))
        connection.yield(.line(AgentNotice(.ready).line))
        greeted.insert(id)
        if request.watch == false {
            connection.finish()
        } else {
            watchers[id] = connection
        }
    }

    private func perform(_ request: AgentRequest, from id: Int) async {
        switch request.op {
        case .hello:
            break
        case .add where stopping:
            // Never queued into an engine that is going. An add in parts during a stop that
            // keeps what is unfinished is kept as one waiting its turn is: its paths go to
            // the journal, the next engine queues them, and the answer says so (a view whose
            // `u` was still being handed over when `hoist stop` came lost the slices after
            // it). Otherwise the client hears why (and no `added`), and runs it again.
            if request.parts == true, keepsUnfinished, let paths = request.paths, !paths.isEmpty,
               request.walk != nil || engine.journalWalk(paths, names: request.names) != nil {
                answer([], tag: request.tag, more: false, cut: Self.keptForTheNextEngine, to: id)
            } else {
                // `--now` ends what the client journaled too.
                if let walk = request.walk { engine.endWalk(UploadEngine.WalkRecord(journaled: walk)) }
                send(error: "stopping", "the engine is stopping; nothing was queued: run the command again", to: id)
            }
        case .add where request.parts == true:
            if let walk = request.walk.map(UploadEngine.WalkRecord.init(journaled:)) {
                // The client journaled it; gone, an engine took it over from the journal when
                // it started (it was handed over while none ran): queued there, not again here.
                // (A journal that cannot be read now is no sign it is gone: the add goes on.)
                let gone: Bool
                do { gone = try engine.paths(of: walk) == nil } catch { gone = false }
                if gone {
                    answer([], tag: request.tag, more: false, to: id)
                    break
                }
                addInParts(request, from: id, journaled: walk)
            } else {
                addInParts(request, from: id)
            }
        case .add:
            // Parts only to learn whether the walk reached its last path; the ids go in one answer.
            let parts = AddParts()
            async let drained: Void = { for await _ in parts.batches {} }()
            let ids = await engine.add(paths: request.paths ?? [], names: request.names, parts: parts)
            await drained
            answer(ids, tag: request.tag, more: false, cut: cutShort(parts), to: id)
        case .stopAdd:
            if let parts = walks[Walk(connection: id, tag: request.tag)] {
                stoppedByClient.insert(ObjectIdentifier(parts))
                await engine.stop(parts)
            }
        case .cancel:
            guard let job = request.job.map(JobID.init) else { break }
            if request.mine == true, holders.release(job, by: id) {
                released(job, to: id)
            } else {
                await engine.cancel(job)
            }
        case .cancelAll:
            stopAdds()
            await engine.cancelAllPending()
        case .cancelQueued:
            stopAdds()
            await engine.cancelQueued()
            await changed()
        case .retry:
            if let job = request.job { await engine.retry(JobID(job)) }
            await changed()
        case .pause:
            await engine.pause()
            await changed()
        case .resume:
            await engine.resume()
            await changed()
        case .concurrency:
            await engine.setConcurrency(Int(clamping: request.value ?? 1))
            concurrency = await engine.concurrency
            // A number set here ends the adapting, as `--jobs` would.
            if liveOptions["--jobs"] != nil { liveOptions["--jobs"] = String(concurrency) }
            settings.onOptionsChange(liveOptions)
            await changed()
        case .rateLimit:
            await engine.setRateLimit(request.value.map { max($0, 1) })
            rateLimit = await engine.rateLimit
            if liveOptions["--limit-rate"] != nil { liveOptions["--limit-rate"] = rateLimit.map(String.init) ?? "none" }
            settings.onOptionsChange(liveOptions)
            await changed()
        case .url:
            await url(for: request, to: id)
        case .stop:
            await stop(now: request.now ?? false, reason: "hoist stop" + (request.now == true ? " --now" : ""))
        }
    }

    /// An `add` that answers each batch as it is queued, and holds its walk at the
    /// request's backlog: a client sees its first upload at once, whatever the tree's size.
    /// The walk runs on while this connection takes other requests (`stop_add`, `cancel`).
    /// Connection 0 is the engine's own (``resume(_:backlog:)``): no client, no answers.
    private func addInParts(_ request: AgentRequest, from id: Int, journaled: UploadEngine.WalkRecord? = nil) {
        let parts = AddParts()
        let walk = Walk(connection: id, tag: request.tag)
        walks[walk] = parts
        let engine = engine
        let paths = request.paths ?? [], names = request.names, backlog = request.backlog
        let key = ObjectIdentifier(parts)
        pending[key] = PendingAdd(parts: parts, left: Waiting(files: paths.count, bytes: max(0, request.bytes ?? 0)))
        let previous = lastAdd[id]?.task
        // Behind another add it may wait for minutes: journaled now, so that a kill
        // meanwhile does not lose it (the add ends the record, as its own).
        let record = journaled ?? (previous == nil ? nil : engine.journalWalk(paths, names: names))
        // Told after the journal has them: what a view counts as waiting survives a kill.
        tellWaiting()
        // Waiting its turn, an add the journal holds keeps no copy of its paths: they are
        // read back when it starts, as the embedded engine's adds are. The TUI sends a `u`
        // of 100,000 files as slices of 4,096, all at once, and the slices behind the
        // first held every path as a `String` meanwhile. Names too: the record keeps them.
        // Absolute paths only: the journal keeps relative ones made absolute, and a file's
        // default name comes from the path as given.
        let readBack = previous != nil && record != nil && paths.allSatisfy { $0.hasPrefix("/") }
        let held = readBack ? [] : paths
        let heldNames = readBack ? nil : names
        addSerial += 1
        let serial = addSerial
        let task = Task {
            await previous?.value
            var toWalk = held
            var walkRecord = record
            var lost: String?
            if readBack, let record {
                // A read on the actor: one record of at most a slice's paths, once per add.
                do {
                    // Gone only if another hoist on this journal took it over as unfinished.
                    if let read = try engine.paths(of: record) { toWalk = read } else { lost = Self.lostWalk }
                } catch {
                    // Not read, but maybe still there: left to the next engine, not ended.
                    walkRecord = nil
                    lost = Self.journalLoss + " could not be read back from the journal (\(error)); none was queued here"
                }
            }
            async let walked = engine.add(paths: toWalk, names: heldNames, backlog: backlog, parts: parts, walk: walkRecord)
            for await ids in parts.batches { answer(ids, tag: walk.tag, more: true, to: walk.connection, walk: key) }
            _ = await walked
            // A stop or cancel that came first is the reason, as for any add stopped before its turn.
            let cut = (parts.isStopped ? nil : lost) ?? cutShort(parts)
            answer([], tag: walk.tag, more: false, cut: cut, to: walk.connection, walk: key)
            stoppedByClient.remove(key)
            // Unless a later add of the same connection and tag took the name meanwhile.
            if walks[walk] === parts { walks[walk] = nil }
            if lastAdd[id]?.serial == serial { lastAdd[id] = nil }
        }
        lastAdd[id] = (serial, task)
    }

    /// Takes on what an earlier engine had not finished (`UploadEngine.resumeUnfinished()`):
    /// its `jobs`, queued again, are held by this engine (a command that names one of them
    /// and cancels it with Ctrl-C lets go of it; it still uploads), and the paths of its
    /// walks (journaled anew as `walk`) are queued as an `add` in parts held at `backlog`.
    /// Returns at once: a killed engine's 100,000 files are taken a window at a time,
    /// counted as waiting by every view meanwhile, and clients are served from the start
    /// instead of after the last of them is queued.
    public func resume(jobs: [JobID], paths: [String], walk: UploadEngine.WalkRecord?, backlog: Int) {
        for id in jobs where !book.hasEnded(id) { holders.add(0, to: id) }
        guard !paths.isEmpty else { return }
        var request = AgentRequest.add(paths)
        request.parts = true
        request.backlog = backlog
        addInParts(request, from: 0, journaled: walk)
    }

    /// Stops every `add` in parts, begun or waiting its turn: after a cancel of everything
    /// none may queue a file (the engine stops the walks under way, not those not begun).
    /// The cancel that follows wakes the walks held for room; views hear at once that
    /// their files wait no more.
    private func stopAdds() {
        for add in pending.values { add.parts.stop() }
        tellWaiting()
    }

    /// Answers an `add` (or a part of one) once the book, and so every watcher, has seen
    /// the first events of its jobs.
    private func answer(_ ids: [JobID], tag: Int?, more: Bool, cut: String? = nil, to connection: Int,
                        walk: ObjectIdentifier? = nil) {
        // Held from now (a job that already ended holds nobody).
        for id in ids where !book.hasEnded(id) { holders.add(connection, to: id) }
        var notice = AgentNotice(.added, tag: tag)
        notice.jobs = ids.map(\.rawValue)
        if more { notice.more = true }
        notice.reason = cut
        pendingAdded.append((connection, notice, Set(ids.filter { !book.knows($0) }), walk))
        answerAdded()
    }

    /// Tells connection `id` it no longer holds `job`, which goes on for another client.
    private func released(_ job: JobID, to id: Int) {
        var notice = AgentNotice(.released)
        notice.job = job.rawValue
        notice.path = book.events(of: job).first?.path
        notice.clock = clock.now().secondsValue
        connections[id]?.yield(.line(notice.line))
    }

    private func url(for request: AgentRequest, to id: Int) async {
        var notice = AgentNotice(.url, tag: request.tag)
        notice.job = request.job
        guard let job = request.job, let remote = book.remoteID(of: JobID(job)) else {
            notice.code = "unknown_job"
            notice.message = "no such job, or it has no server id yet"
            connections[id]?.yield(.line(notice.line))
            return
        }
        do throws(EngineError) {
            notice.url = try await engine.api.downloadURL(id: remote)
        } catch {
            notice.code = error.codeName
            notice.message = error.message
        }
        connections[id]?.yield(.line(notice.line))
    }

    /// Tells every watcher the engine's settings now.
    private func changed() async {
        paused = await engine.isPaused
        broadcast(settingsNotice(.settings).line)
    }

    private func settingsNotice(_ kind: AgentNotice.Kind) -> AgentNotice {
        var notice = AgentNotice(kind)
        notice.paused = paused
        notice.concurrency = concurrency
        notice.rateLimit = rateLimit
        let waiting = waitingNow
        notice.waitingFiles = waiting.files
        notice.waitingBytes = waiting.bytes
        return notice
    }

    /// The files handed over in parts that have no job yet; a walk that has not reached
    /// its last path counts at least one (a directory's walk may queue many). A walk
    /// stopped queues nothing more, and one that has queued a job for every path waits for
    /// nothing (bytes the client said of files refused or changed since included).
    private var waitingNow: Waiting {
        pending.values.reduce(into: Waiting()) { total, add in
            guard !add.parts.isStopped, !(add.parts.hasWalkedAll && add.left.files == 0) else { return }
            total.files += add.parts.hasWalkedAll ? add.left.files : max(add.left.files, 1)
            total.bytes += add.left.bytes
        }
    }

    /// Tells every watcher the files waiting, when they changed.
    private func tellWaiting() {
        let now = waitingNow
        guard now != waitingSaid else { return }
        waitingSaid = now
        broadcast(settingsNotice(.settings).line)
    }

    /// Why an add queued nothing: its paths left the journal before its turn.
    public static let lostWalk = journalLoss + " were no longer in the journal when their turn came "
        + "(another hoist on the same journal took them over); none was queued here"

    /// How the reasons begin of an add whose paths the journal could not give back: no
    /// request of its client caused it, so a view says it (a TUI shows no other reason).
    public static let journalLoss = "this command's files"

    /// Why an add ended before its last path, in words for its client; nil when it
    /// reached it. Without it, a client whose named jobs all ended could take a walk the
    /// engine's stop cut short for a whole tree uploaded.
    private func cutShort(_ parts: AddParts) -> String? {
        guard !parts.hasWalkedAll else { return nil }
        if stoppedByClient.contains(ObjectIdentifier(parts)) { return "stopped at this command's request; the files not reached were not queued" }
        guard stopping else { return "a cancel of everything pending dropped this command's files not yet queued" }
        return keepsUnfinished ? Self.keptForTheNextEngine : "the engine stopped before every file of this command was queued; the rest were not queued"
    }

    /// The reason of an add a stop cut short (or that came during it), its files kept for the next engine.
    static let keptForTheNextEngine = "the engine stopped before every file of this command was queued; the next engine queues the rest"

    /// Waits (at most 10 s) for every `add` to give its last answer: a walk the shutdown
    /// cut short says so before its client's connection ends, instead of the client
    /// hearing only that it closed (or, worse, an answer that looks whole).
    private func answerLastAdds() async {
        let tasks = lastAdd.values.map(\.task)
        guard !tasks.isEmpty else { return }
        // Whichever comes first ends the stream: an add's task cannot be cancelled from here.
        let (over, end) = AsyncStream.makeStream(of: Never.self)
        Task { for task in tasks { await task.value }; end.finish() }
        let deadline = Task { try? await Task.sleep(for: .seconds(10)); end.finish() }
        for await _ in over {}
        deadline.cancel()
    }

    // MARK: stopping

    /// Stops the engine: `now` cancels everything (running uploads and their sessions, the
    /// queued jobs and the walks' records, so the next engine resumes none of them);
    /// otherwise running ones finish, queued ones stay in the journal for the next engine.
    public func stop(now: Bool, reason: String) async {
        guard !stopping else { return }
        stopping = true
        keepsUnfinished = !now
        var notice = AgentNotice(.stopping)
        notice.reason = reason
        broadcast(notice.line)
        if now {
            await engine.cancelAllPending()
            await engine.shutdown()
        } else {
            await engine.pause()
            await engine.waitUntilIdle()
            await engine.shutdown(keepingUnfinished: true)
        }
    }

    /// A signal: stop at once, leaving running sessions pending for the next engine.
    public func interrupt(_ reason: String) async {
        guard !stopping else { return }
        stopping = true
        var notice = AgentNotice(.stopping)
        notice.reason = reason
        broadcast(notice.line)
        await engine.shutdown(keepingUnfinished: true)
    }

    /// An engine that adapts its concurrency changes it on its own: watchers are told, so
    /// a view's "jobs" stays true.
    private func checkConcurrency() async {
        let now = await engine.concurrency
        guard now != concurrency, !stopping else { return }
        concurrency = now
        await changed()
    }

    private func checkIdle() async {
        guard !stopping else { return }
        let now = clock.now()
        if !connections.isEmpty || book.unfinished > 0 || !pending.isEmpty {
            quietSince = now
            return
        }
        if now - quietSince >= settings.idleTimeout {
            await stop(now: false, reason: "idle for \(Int(settings.idleTimeout.secondsValue)) s with no client")
        }
    }

    // MARK: events

    private func receive(_ event: EngineEvent) {
        book.record(event)
        if event.isTerminal { holders.end(event.job) }
        if book.unfinished > 0 { quietSince = clock.now() }
        broadcast(line(event))
        if !pendingAdded.isEmpty {
            // Each answer keeps the ids the book has not seen yet, so an event costs a set
            // removal, not a walk over all the add's ids (100,000 files made that quadratic).
            for index in pendingAdded.indices { pendingAdded[index].unseen.remove(event.job) }
            answerAdded()
        }
    }

    /// Sends the `added` answers whose jobs the book (and so every watcher) has seen.
    /// The files an answer names leave the waiting count as it goes (after their events).
    private func answerAdded() {
        var left = false
        while let first = pendingAdded.first, first.unseen.isEmpty {
            pendingAdded.removeFirst()
            connections[first.connection]?.yield(.line(first.notice.line))
            guard let walk = first.walk, var add = pending[walk] else { continue }
            left = true
            guard first.notice.more == true else {
                pending[walk] = nil
                continue
            }
            let ids = first.notice.jobs ?? []
            add.left.files = max(0, add.left.files - ids.count)
            add.left.bytes = max(0, add.left.bytes - ids.reduce(0) { $0 + book.queuedSize(of: JobID($1)) })
            pending[walk] = add
        }
        if left { tellWaiting() }
    }

    private func line(_ event: EngineEvent) -> String { book.wireLine(event, dialect: engine.profile.dialect) }

    private func broadcast(_ text: String) {
        for (id, watcher) in watchers {
            // A client too slow to take its lines is dropped; when it reconnects it gets a
            // fresh snapshot instead of an ever longer backlog.
            if case .dropped = watcher.yield(.line(text)) { close(id) }
        }
    }

    private func send(error code: String, _ message: String, to id: Int) {
        var notice = AgentNotice(.error)
        notice.code = code
        notice.message = message
        connections[id]?.yield(.line(notice.line))
    }

    private func finishAll() {
        for connection in connections.values { connection.finish() }
        stopped = true
        let waiters = stoppedWaiters
        stoppedWaiters = []
        for waiter in waiters { waiter.resume() }
    }
}

extension Duration {
    /// The duration in seconds.
    var secondsValue: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
