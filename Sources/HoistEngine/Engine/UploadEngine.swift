import AsyncHTTPClient
import Foundation
import Synchronization

/// The upload engine: a queue of jobs run at most `concurrency` at a time, publishing
/// `events`. Front ends send commands (`add`, `cancel`, `pause`...) and read events; the
/// engine never calls them back.
public actor UploadEngine {
    /// Every event of every job, in order per job. Finishes after `shutdown()`.
    public nonisolated let events: AsyncStream<EngineEvent>
    private nonisolated let continuation: AsyncStream<EngineEvent>.Continuation
    let configuration: EngineConfiguration
    private let client: HTTPClient
    let journal: Journal
    private let runner: JobRunner
    /// The retry of aborts earlier runs could not make (s3 dialect), started at init.
    public nonisolated let pendingAborts: Task<Void, Never>?
    /// The aborts of multipart uploads whose rows an add ended (their file changed or went
    /// since a killed run); `shutdown()` waits for it.
    private(set) var endedUploadAborts: Task<Void, Never>?
    let keepOnCancel: Flag
    private let limiter: RateLimiter

    enum Phase: Equatable { case queued, running, completed, failed, cancelled }
    /// A job the engine holds. A class: the dictionary below keeps a reference per job
    /// instead of the whole record inline in every slot, free ones too (a hash table sized
    /// for 100,000 queued jobs has 262,144 slots; inline that was 42 MB, now 6 MB plus the
    /// records themselves). Only the engine's actor touches it.
    final class Record {
        var job: JobRunner.Job
        var phase: Phase
        init(job: JobRunner.Job, phase: Phase) {
            self.job = job
            self.phase = phase
        }
    }

    var records: [JobID: Record] = [:]
    /// How many events ``events`` has been given so far, by the engine and by its jobs: a
    /// reader that has read this many has read every event up to the moment it asked (no
    /// event is ever dropped).
    public nonisolated var emittedEvents: Int { eventCount.load() }
    private nonisolated let eventCount = EventCount()
    /// How many jobs the engine holds a record of (completed ones are dropped).
    var recordCount: Int { records.count }
    /// Queued and running jobs by the file they upload and its name, so the same upload is never queued twice.
    var inFlight: [JobKey: JobID] = [:]
    /// Queued and running jobs by the hash of their object's name, where that name is the
    /// object's key (s3, luw): two files of one run must not go to the same object. A hash,
    /// not the name: a tree of 100,000 files would keep 100,000 more strings.
    private var byName: [Int: JobID] = [:]
    var queue = JobQueue()
    private var running: [JobID: Task<Void, Never>] = [:]
    private var nextID = 1
    /// Bumped when the queue is dropped (`cancelQueued`, `cancelAllPending`): an `add` still
    /// walking a tree then stops instead of queueing what the user just dropped.
    var addGeneration = 0
    /// The walk records ``unfinishedPaths()`` gave back: ended by the next add's first
    /// batch, by ``takeOverWalks(_:)``, or when the user drops everything pending.
    var resumedWalks: [Int64] = []
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    /// `add` calls holding their walk until the queue has room (`waitForRoom`).
    private(set) var roomWaiters: [RoomWaiter] = []

    struct RoomWaiter {
        /// Goes on once fewer jobs than this wait.
        var below: Int
        var continuation: CheckedContinuation<Void, Never>
    }
    /// Set by `shutdown()`: nothing starts any more.
    private(set) var shuttingDown = false
    /// The pause was the engine's, after a halting failure (so `retry` may lift it).
    private var pausedByHalt = false
    /// Set once `shutdown()` closed the HTTP client.
    private var clientClosed = false

    /// Chooses `concurrency` while the user has not (`EngineConfiguration.adaptiveConcurrency`).
    private var tuner: ConcurrencyTuner?
    private var tuning: Task<Void, Never>?
    /// Tries the journal's cancels to do again while any remain (``watchPendingAborts()``).
    private var abortWatch: Task<Void, Never>?
    /// Files and bytes completed in this engine's life, and whether every slot stayed busy
    /// with more waiting since the tuner last looked: what it judges by.
    private var completedFiles = 0
    private var completedBytes: Int64 = 0
    private var saturatedSinceLook = true

    /// True while the engine chooses its own concurrency (adaptive, not yet set by the user).
    public var adaptsConcurrency: Bool { tuner != nil }

    /// True while no new job is started.
    public private(set) var isPaused: Bool
    /// Jobs allowed to run at once.
    public private(set) var concurrency: Int
    /// The failure that halted the run (`EngineError.haltsRun`), until `resume()` or `retry`.
    /// With `onHalt == .pause` the engine is paused meanwhile; with `.fail` the jobs queued
    /// at that moment failed with it.
    public private(set) var haltedBy: EngineError?

    /// Creates the engine, its one HTTP client and its journal.
    public init(configuration: EngineConfiguration) throws(EngineError) {
        self.configuration = configuration
        (events, continuation) = AsyncStream.makeStream(of: EngineEvent.self)
        if let path = configuration.journalPath {
            journal = try Journal.open(path: path, claiming: true)
            if let legacy = configuration.legacyJournalKey {
                try journal.adoptUnfinished(from: legacy, to: configuration.journalKey)
            }
        } else {
            journal = try Journal.inMemory()
        }
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: HTTPTransport.clientConfiguration)
        let limiter = RateLimiter(bytesPerSecond: configuration.rateLimit, clock: configuration.clock)
        self.limiter = limiter
        let continuation = continuation, eventCount = eventCount
        let clock = configuration.clock
        let keep = Flag()
        keepOnCancel = keep
        let runner = JobRunner(
            api: UploadAPI(profile: configuration.profile, key: configuration.key, client: client),
            uploader: FileUploader(
                client: client, limiter: limiter, clock: configuration.clock,
                chunkSize: configuration.chunkSize, progressInterval: configuration.progressInterval,
                fileCheckInterval: configuration.fileCheckInterval, stallTimeout: configuration.stallTimeout),
            journal: journal, policy: configuration.retryPolicy, wallClock: configuration.wallClock,
            emit: { event in
                var stamped = event
                stamped.time = clock.now()
                eventCount.add()
                continuation.yield(stamped)
            }, ownSessions: OwnSessions(), keepOnCancel: keep, cancelGrace: configuration.cancelGrace,
            journalKey: configuration.journalKey,
            partJobs: max(1, configuration.partJobs))
        // Multipart uploads and sessions an earlier run failed to abort or cancel are aborted
        // or cancelled now, in the background (Luw has no cancel call).
        self.runner = runner
        pendingAborts = configuration.profile.dialect != .luw ? Task { await runner.retryPendingAborts() } : nil
        isPaused = configuration.startPaused
        concurrency = max(1, configuration.concurrency)
        if let range = configuration.adaptiveConcurrency {
            tuner = ConcurrencyTuner(start: concurrency, range: range)
        }
    }

    /// Looks at the counters every `adaptInterval` while the engine adapts its concurrency.
    private func startTuning() {
        guard tuner != nil, tuning == nil else { return }
        let clock = configuration.clock, interval = configuration.adaptInterval
        tuning = Task { [weak self] in
            while !Task.isCancelled {
                do { try await clock.sleep(for: interval) } catch { return }
                guard let self, await self.tune() else { return }
            }
        }
    }

    /// One look of the tuner; false once there is nothing more to adapt.
    private func tune() -> Bool {
        guard !shuttingDown, var tuner else { return false }
        let saturated = saturatedSinceLook && running.count >= concurrency && !queue.isEmpty
        saturatedSinceLook = true
        if let level = tuner.observe(at: configuration.clock.now(), files: completedFiles, bytes: completedBytes, saturated: saturated) {
            concurrency = level
            pump()
        }
        self.tuner = tuner
        return !tuner.settled
    }

    /// The API client this engine uses (for `status`, `url`, `cancel` commands).
    public nonisolated var api: UploadAPI { runner.api }

    /// Where this engine uploads, as its journal rows are keyed (`EngineConfiguration.journalKey`):
    /// two front ends with the same key upload to the same place.
    public nonisolated var destinationKey: String { configuration.journalKey }

    /// The destination's profile (dialect, endpoint, purpose).
    public nonisolated var profile: Profile { configuration.profile }

    /// The total bandwidth limit in bytes per second; nil when unlimited.
    public var rateLimit: Int64? { get async { await limiter.bytesPerSecond } }

    // MARK: commands

    /// Stops starting new jobs; running ones go on.
    public func pause() {
        isPaused = true
        pausedByHalt = false
        notifyIfIdle()
    }

    /// Starts queued jobs again, also after a halting failure (`haltedBy` is cleared).
    public func resume() {
        isPaused = false
        pausedByHalt = false
        haltedBy = nil
        pump()
    }

    /// Changes how many jobs run at once (at least 1). Running jobs are never stopped for it.
    public func setConcurrency(_ value: Int) {
        tuner = nil
        tuning?.cancel()
        concurrency = max(1, value)
        pump()
    }

    /// How many jobs wait in the queue (not yet started).
    public var queuedCount: Int { queue.count }

    /// Changes the total bandwidth limit (nil: unlimited); running uploads follow at once.
    public func setRateLimit(_ bytesPerSecond: Int64?) async {
        await limiter.setRate(bytesPerSecond)
    }

    /// Cancels one job: a queued one is dropped, a running one has its PUT aborted and
    /// its session cancelled on the server. Finished jobs are left alone.
    public func cancel(_ id: JobID) {
        guard let record = records[id] else { return }
        switch record.phase {
        case .queued:
            queue.drop(id)
            setPhase(id, .cancelled)
            try? journal.update(record.job.row, state: .cancelled)
            emit(id, .cancelled)
            releaseRoom()
            notifyIfIdle()
        case .running:
            running[id]?.cancel()
        case .completed, .failed, .cancelled:
            break
        }
    }

    /// Cancels every job not yet finished, queued or running, and stops every add under
    /// way; the records of the walks a killed run left (``unfinished()``) go too. A record
    /// made anew for an add that has not begun (``takeOverWalks(_:)``) goes with that add,
    /// which its front end stops (``AddParts/stop()``) before calling this.
    public func cancelAllPending() {
        addGeneration += 1
        // The walks a killed run left (``unfinished()``) are pending too, even before the
        // add that resumes them has begun.
        endResumedWalks()
        for id in records.keys.sorted() { cancel(id) }
        releaseRoom(all: true)
    }

    /// Ctrl-C once: start nothing new and drop the queued jobs (and the walks a killed run
    /// left, see ``cancelAllPending()``); running ones finish.
    public func cancelQueued() {
        isPaused = true
        pausedByHalt = false
        addGeneration += 1
        endResumedWalks()
        for id in queue.waiting { cancel(id) }
        releaseRoom(all: true)
    }

    /// Queues a failed or cancelled job again, from a fresh session. Always emits `queued`
    /// first, then the job's outcome (a file that is gone or unreadable now fails at once).
    /// Does nothing when the same file is queued or running as another job. Lifts a pause
    /// the engine made after a halting failure: the user asked for this to run.
    public func retry(_ id: JobID) {
        guard !shuttingDown, let record = records[id], record.phase == .failed || record.phase == .cancelled else { return }
        // A copy: the record changes only once the job is queued again.
        var job = record.job
        let path = job.file.path
        do throws(EngineError) {
            let local = try inspect(path)
            let key = local.jobKey
            guard inFlight[key] == nil else { return }
            if let clash = nameClash(for: job) { throw clash }
            if let pid = try journal.otherRun(endpoint: configuration.journalKey, file: local.identity) {
                throw .uploadingElsewhere(path, pid: pid)
            }
            job.file = local.identity
            job.mimeType = local.mimeType
            job.key = key
            job.queuedStamp = local.stamp
            job.row = try journal.insert(endpoint: configuration.journalKey, file: local.identity, name: job.remoteName)
        } catch {
            setPhase(id, .failed)
            emit(id, path: path, .queued(size: job.file.size))
            emit(id, path: path, .failed(error))
            return
        }
        job.start = .fresh
        job.orphan = nil
        // The old session's kept cancel, made later, is no news about the new attempt.
        runner.keptCancels.forget(job: id)
        if haltedBy != nil {
            haltedBy = nil
            if pausedByHalt { isPaused = false }
            pausedByHalt = false
        }
        enqueue(id, job)
    }

    /// Waits until nothing runs and nothing can start (the queue is empty or paused).
    public func waitUntilIdle() async {
        if isIdle { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    /// Stops the engine: nothing new starts, running jobs are cancelled and awaited, jobs
    /// still queued end `cancelled` (the journal keeps them queued, so a later run resumes
    /// them), then the HTTP client closes and `events` finishes. Every open job ends with
    /// one `cancelled` event.
    ///
    /// - Parameter keepingUnfinished: false (the default) cancels the running jobs' sessions
    ///   on the server and records them cancelled. True stops them where they are instead:
    ///   sessions stay pending and the journal keeps them unfinished, so the next run
    ///   resumes them (`unfinishedPaths()`), as after a kill.
    public func shutdown(keepingUnfinished: Bool = false) async {
        shuttingDown = true
        tuning?.cancel()
        abortWatch?.cancel()
        if keepingUnfinished { keepOnCancel.set() }
        for task in running.values { task.cancel() }
        // `ended` removes each task from `running` before the task completes.
        while let task = running.values.first { await task.value }
        for id in queue.removeAll() {
            setPhase(id, .cancelled)
            emit(id, .cancelled)
        }
        releaseRoom(all: true)
        notifyIfIdle()
        await endedUploadAborts?.value
        try? await client.shutdown()
        clientClosed = true
        journal.endRun()
        continuation.finish()
    }

    /// An engine dropped without `shutdown()` (a front end that failed half-way) still
    /// closes its HTTP client: AsyncHTTPClient traps on a client freed open.
    deinit {
        if !clientClosed { _ = client.shutdown() }
        continuation.finish()
    }

    // MARK: internals

    /// Whether a job's remote name is the object's key, so that a second file with the
    /// same name would replace the first (a Lightfield create makes a new file each time).
    var namesAreKeys: Bool { configuration.profile.dialect != .lightfield }

    /// The name `job`'s object is stored under, as the store compares names: an S3 key is
    /// bytes (`é` and `e` + U+0301 are two keys); Luw's server keeps a file name in NFC,
    /// trimmed, after the dialect has made it (`x12tmp-`, the last path component).
    func objectName(of job: JobRunner.Job) -> [UInt8] {
        let name = api.requestedName(for: job.remoteName)
        if configuration.profile.dialect == .luw {
            return Array(name.precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespaces).utf8)
        }
        return Array(name.utf8)
    }

    /// The error `job` fails with when a queued or running job of another file goes to the
    /// same object; nil when none does.
    func nameClash(for job: JobRunner.Job) -> EngineError? {
        guard namesAreKeys else { return nil }
        let name = objectName(of: job)
        guard let other = byName[name.hashValue].flatMap({ records[$0] }), other.phase == .queued || other.phase == .running,
            objectName(of: other.job) == name
        else { return nil }
        return .nameClash(api.requestedName(for: job.remoteName), with: other.job.file.path)
    }

    /// Aborts the multipart uploads an add just left to `pending_abort`, after any abort
    /// already under way (so no upload is aborted twice at once).
    func abortEndedUploads() {
        let before = endedUploadAborts ?? pendingAborts, runner = runner
        endedUploadAborts = Task {
            await before?.value
            await runner.retryPendingAborts()
        }
    }

    var isIdle: Bool { running.isEmpty && (queue.isEmpty || isPaused || shuttingDown) }

    func enqueue(_ id: JobID, _ job: JobRunner.Job) {
        records[id] = Record(job: job, phase: .queued)
        if let key = job.key { inFlight[key] = id }
        if namesAreKeys { byName[objectName(of: job).hashValue] = id }
        emit(id, path: job.file.path, .queued(size: job.file.size))
        guard !shuttingDown else {
            setPhase(id, .cancelled)
            emit(id, .cancelled)
            return
        }
        queue.append(id)
        pump()
    }

    func makeID() -> JobID {
        defer { nextID += 1 }
        return JobID(nextID)
    }

    func emit(_ id: JobID, path: String? = nil, _ kind: EngineEvent.Kind) {
        eventCount.add()
        continuation.yield(EngineEvent(
            job: id, path: path ?? records[id]?.job.file.path ?? "", kind: kind, time: configuration.clock.now()))
    }

    /// Moves a job to `phase`, keeping `inFlight` to the queued and running ones.
    private func setPhase(_ id: JobID, _ phase: Phase) {
        if namesAreKeys, phase != .queued, phase != .running, let name = records[id].map({ objectName(of: $0.job).hashValue }), byName[name] == id {
            byName[name] = nil
        }
        guard let key = records[id]?.job.key else {
            records[id]?.phase = phase
            return
        }
        records[id]?.phase = phase
        if phase == .queued || phase == .running {
            inFlight[key] = id
        } else if inFlight[key] == id {
            inFlight[key] = nil
        }
    }

    private func pump() {
        if !queue.isEmpty { startTuning() }
        while !shuttingDown, !isPaused, running.count < concurrency, !queue.isEmpty {
            guard let id = queue.popFirst() else { break }
            guard let job = records[id]?.job else { continue }
            setPhase(id, .running)
            let runner = runner
            running[id] = Task {
                let ending = await runner.run(job)
                self.ended(id, ending.phase, ending.error)
            }
        }
        releaseRoom()
        notifyIfIdle()
    }

    private func ended(_ id: JobID, _ phase: Phase, _ error: EngineError?) {
        running[id] = nil
        if phase == .completed {
            completedFiles += 1
            completedBytes += records[id]?.job.file.size ?? 0
        }
        // A slot freed with nothing waiting: this stretch says nothing about more slots.
        if queue.isEmpty { saturatedSinceLook = false }
        setPhase(id, phase)
        // A completed job is done with: nothing retries or cancels it, and a run of 100,000
        // files must not keep 100,000 records. Failed and cancelled ones stay for `retry`.
        if phase == .completed { records[id] = nil }
        if let error, error.haltsRun, !shuttingDown { halt(error) }
        // A job that ended without reaching the server may have left its cancel to do
        // (the watch began with the first add; a resumed job may come before any).
        if phase != .completed { watchPendingAborts() }
        pump()
    }

    /// Tries the cancels and aborts in the journal again every `abortRetryInterval`, from
    /// the engine's first job (or first add) for as long as it runs: a job cancelled (or
    /// failed) while the server was away left its session PENDING there, and before, only
    /// the next engine's start tried again, so a long-running background engine left it
    /// pending for as long as it ran. It watches for ever, not only while its own jobs left
    /// some: another run on the same journal (`hoist upload --foreground`, a `hoist cancel`)
    /// may keep one at any time, and this engine is the one that runs on. A turn with none
    /// is one read of the journal.
    func watchPendingAborts() {
        guard abortWatch == nil, !shuttingDown, configuration.profile.dialect != .luw else { return }
        let clock = configuration.clock, interval = configuration.abortRetryInterval
        abortWatch = Task { [weak self] in
            while !Task.isCancelled {
                do { try await clock.sleep(for: interval) } catch { return }
                guard let self, await self.retryPendingAbortsNow() else { return }
            }
        }
    }

    /// One turn of ``watchPendingAborts()``: false, the watch ended, once the engine stops.
    private func retryPendingAbortsNow() async -> Bool {
        guard !shuttingDown else {
            abortWatch = nil
            return false
        }
        if let left = try? journal.pendingAborts(endpoint: configuration.journalKey), !left.isEmpty {
            abortEndedUploads()
            await endedUploadAborts?.value
        }
        return true
    }

    /// After a failure every other upload would repeat: start nothing more. The queued jobs
    /// wait (`.pause`) or fail with the same error (`.fail`); running ones go on. Their
    /// journal rows stay as they were: they never ran, so a later run takes them up again.
    private func halt(_ error: EngineError) {
        if haltedBy == nil { haltedBy = error }
        switch configuration.onHalt {
        case .pause:
            if !isPaused {
                isPaused = true
                pausedByHalt = true
            }
        case .fail:
            for id in queue.removeAll() {
                setPhase(id, .failed)
                emit(id, .failed(error))
            }
            releaseRoom()
        }
    }

    /// Holds an `add` of generation `generation` while `backlog` or more jobs wait, until
    /// half of them have started, the queue is dropped, the walk is stopped or the engine stops.
    func waitForRoom(backlog: Int, generation: Int, parts: AddParts?) async {
        while queue.count >= backlog, generation == addGeneration, !shuttingDown, parts?.isStopped != true {
            await withCheckedContinuation { roomWaiters.append(RoomWaiter(below: backlog / 2, continuation: $0)) }
        }
    }

    /// Stops the walk of the `add` that follows `parts` at its next batch, even one held
    /// for room: the files it has not reached get no job. Its jobs so far are left alone.
    public func stop(_ parts: AddParts) {
        parts.markStopped()
        releaseRoom(all: true)
    }

    /// Wakes the `add` calls waiting for room that now have it (`all`: every one, for a
    /// dropped queue or a stopping engine; each looks again at why it waited).
    private func releaseRoom(all: Bool = false) {
        guard !roomWaiters.isEmpty else { return }
        let count = queue.count
        var waiting: [RoomWaiter] = []
        for waiter in roomWaiters {
            if all || count < waiter.below { waiter.continuation.resume() } else { waiting.append(waiter) }
        }
        roomWaiters = waiting
    }

    private func notifyIfIdle() {
        guard isIdle, !idleWaiters.isEmpty else { return }
        let waiters = idleWaiters
        idleWaiters = []
        for waiter in waiters { waiter.resume() }
    }
}

/// Events given to the stream, counted where they are given (the engine's and its jobs').
final class EventCount: Sendable {
    private let value = Atomic<Int>(0)
    func add() { value.add(1, ordering: .releasing) }
    func load() -> Int { value.load(ordering: .acquiring) }
}
