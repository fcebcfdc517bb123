import AsyncHTTPClient
import Foundation

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

    enum Phase: Equatable { case queued, running, completed, failed, cancelled }
    struct Record {
        var job: JobRunner.Job
        var phase: Phase
    }

    var records: [JobID: Record] = [:]
    private var queue: [JobID] = []
    private var running: [JobID: Task<Void, Never>] = [:]
    private var nextID = 1
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []

    /// True while no new job is started.
    public private(set) var isPaused: Bool
    /// Jobs allowed to run at once.
    public private(set) var concurrency: Int

    /// Creates the engine, its one HTTP client and its journal.
    public init(configuration: EngineConfiguration) throws(EngineError) {
        self.configuration = configuration
        (events, continuation) = AsyncStream.makeStream(of: EngineEvent.self)
        if let path = configuration.journalPath {
            journal = try Journal.open(path: path)
        } else {
            journal = try Journal.inMemory()
        }
        var http = HTTPClient.Configuration()
        http.redirectConfiguration = .disallow
        http.decompression = .disabled
        http.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: http)
        let limiter = configuration.rateLimit.map { RateLimiter(bytesPerSecond: $0, clock: configuration.clock) }
        let continuation = continuation
        let clock = configuration.clock
        runner = JobRunner(
            api: UploadAPI(profile: configuration.profile, key: configuration.key, client: client),
            uploader: FileUploader(
                client: client, limiter: limiter, clock: configuration.clock,
                chunkSize: configuration.chunkSize, progressInterval: configuration.progressInterval),
            journal: journal, policy: configuration.retryPolicy, wallClock: configuration.wallClock,
            emit: { event in
                var stamped = event
                stamped.time = clock.now()
                continuation.yield(stamped)
            }, ownSessions: OwnSessions())
        isPaused = configuration.startPaused
        concurrency = max(1, configuration.concurrency)
    }

    /// The API client this engine uses (for `status`, `url`, `cancel` commands).
    public nonisolated var api: UploadAPI { runner.api }

    // MARK: commands

    /// Stops starting new jobs; running ones go on.
    public func pause() { isPaused = true; notifyIfIdle() }

    /// Starts queued jobs again.
    public func resume() { isPaused = false; pump() }

    /// Changes how many jobs run at once (at least 1). Running jobs are never stopped for it.
    public func setConcurrency(_ value: Int) {
        concurrency = max(1, value)
        pump()
    }

    /// Cancels one job: a queued one is dropped, a running one has its PUT aborted and
    /// its session cancelled on the server. Finished jobs are left alone.
    public func cancel(_ id: JobID) {
        guard let record = records[id] else { return }
        switch record.phase {
        case .queued:
            queue.removeAll { $0 == id }
            records[id]?.phase = .cancelled
            try? journal.update(record.job.row, state: .cancelled)
            emit(id, .cancelled)
            notifyIfIdle()
        case .running:
            running[id]?.cancel()
        case .completed, .failed, .cancelled:
            break
        }
    }

    /// Cancels every job not yet finished, queued or running.
    public func cancelAllPending() {
        for id in records.keys.sorted() { cancel(id) }
    }

    /// Ctrl-C once: start nothing new and drop the queued jobs; running ones finish.
    public func cancelQueued() {
        isPaused = true
        for id in queue { cancel(id) }
    }

    /// Queues a failed or cancelled job again, from a fresh session.
    public func retry(_ id: JobID) {
        guard var record = records[id], record.phase == .failed || record.phase == .cancelled else { return }
        do {
            let file = try FileIdentity.of(record.job.file.path)
            record.job.file = file
            record.job.mimeType = try configuration.rules.validate(name: file.name, size: file.size, profile: configuration.profile)
            record.job.row = try journal.insert(endpoint: configuration.journalKey, file: file)
        } catch {
            emit(id, path: record.job.file.path, .failed(error))
            return
        }
        record.job.start = .fresh
        record.job.orphan = nil
        enqueue(id, record.job)
    }

    /// Waits until nothing runs and nothing can start (the queue is empty or paused).
    public func waitUntilIdle() async {
        if isIdle { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    /// Closes the HTTP client and finishes `events`. Call after the jobs ended (or were cancelled).
    public func shutdown() async {
        for task in running.values { task.cancel() }
        for task in running.values { await task.value }
        try? await client.shutdown()
        continuation.finish()
    }

    // MARK: internals

    var isIdle: Bool { running.isEmpty && (queue.isEmpty || isPaused) }

    func enqueue(_ id: JobID, _ job: JobRunner.Job) {
        records[id] = Record(job: job, phase: .queued)
        queue.append(id)
        emit(id, path: job.file.path, .queued(size: job.file.size))
        pump()
    }

    func makeID() -> JobID {
        defer { nextID += 1 }
        return JobID(nextID)
    }

    func emit(_ id: JobID, path: String? = nil, _ kind: EngineEvent.Kind) {
        continuation.yield(EngineEvent(
            job: id, path: path ?? records[id]?.job.file.path ?? "", kind: kind, time: configuration.clock.now()))
    }

    private func pump() {
        while !isPaused, running.count < concurrency, !queue.isEmpty {
            let id = queue.removeFirst()
            guard let job = records[id]?.job else { continue }
            records[id]?.phase = .running
            let runner = runner
            running[id] = Task {
                let phase = await runner.run(job)
                await self.ended(id, phase)
            }
        }
        notifyIfIdle()
    }

    private func ended(_ id: JobID, _ phase: Phase) {
        running[id] = nil
        records[id]?.phase = phase
        pump()
    }

    private func notifyIfIdle() {
        guard isIdle, !idleWaiters.isEmpty else { return }
        let waiters = idleWaiters
        idleWaiters = []
        for waiter in waiters { waiter.resume() }
    }
}
