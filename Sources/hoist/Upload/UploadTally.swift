import HoistEngine

/// What `hoist upload` knows of its jobs, built from engine events only: the counts, bytes,
/// rate and ETA its progress and summary lines show. Every figure is derived from the jobs,
/// never kept twice.
struct UploadTally: Sendable {
    enum Phase: Sendable { case waiting, creating, sending, completing, completed, failed, cancelled }

    struct Job: Sendable {
        var path: String
        var size: Int64 = 0
        var sent: Int64 = 0
        var phase = Phase.waiting
        var startedAt: Duration?
        var completingAt: Duration?

        /// Still to finish: it counts toward the ETA and the current files.
        var isOpen: Bool { ![.completed, .failed, .cancelled].contains(phase) }
    }

    private(set) var jobs: [JobID: Job] = [:]
    private var order: [JobID] = []
    private(set) var window = RateWindow()
    /// The create and complete round trips measured so far: the per-file cost of an upload
    /// beyond its bytes.
    private var creates = Mean()
    private var completes = Mean()
    /// The first failure that stops the whole run (refused, bad key...): the summary's "why".
    private(set) var haltingError: EngineError?

    /// Records one event.
    mutating func record(_ event: EngineEvent) {
        if jobs[event.job] == nil { order.append(event.job) }
        var job = jobs[event.job] ?? Job(path: event.path)
        switch event.kind {
        case .queued(let size):
            job = Job(path: event.path, size: size)
        case .started:
            job.phase = .creating
            job.startedAt = event.time
        case .sessionCreated:
            job.phase = .sending
            if let started = job.startedAt { creates.add(event.time - started) }
            job.startedAt = nil
            window.begin(at: event.time)
        case .progress(let sent, let total):
            window.add(sent - job.sent, at: event.time)
            job.sent = sent
            job.size = total
        case .resumed(let held, let total):
            // Held by the store already: counted as the job's, not as moved by this run.
            job.phase = .sending
            job.sent = held
            job.size = total
        case .completing:
            job.phase = .completing
            job.completingAt = event.time
        case .completed:
            if let completing = job.completingAt { completes.add(event.time - completing) }
            job.phase = .completed
        case .retrying:
            break
        case .failed(let error):
            job.phase = .failed
            if haltingError == nil, error.haltsRun { haltingError = error }
        case .cancelled:
            job.phase = .cancelled
        }
        jobs[event.job] = job
    }

    func count(_ phase: Phase) -> Int { jobs.values.count(where: { $0.phase == phase }) }

    /// The figures of a progress line at `now` (engine clock), with `concurrency` uploads at once.
    func figures(at now: Duration, concurrency: Int) -> ProgressFigures {
        // Cancelled files leave the totals: they are neither done nor still to send.
        let counted = order.compactMap { jobs[$0] }.filter { $0.phase != .cancelled }
        let open = counted.filter(\.isOpen)
        let reading = window.reading(at: now)
        let remaining = open.reduce(Int64(0)) { $0 + max(0, $1.size - $1.sent) }
        return ProgressFigures(
            filesDone: counted.count - open.count,
            filesTotal: counted.count,
            bytesSent: counted.reduce(Int64(0)) { $0 + ($1.phase == .completed ? $1.size : $1.sent) },
            bytesTotal: counted.reduce(Int64(0)) { $0 + $1.size },
            reading: reading,
            eta: eta(open: open, remaining: remaining, reading: reading, concurrency: concurrency),
            current: open.filter { $0.phase != .waiting }.map(\.path))
    }

    /// Remaining bytes at the current rate, plus the round trips the remaining files still
    /// need (so that thousands of tiny files do not read `0:01`), shared by the uploads that
    /// run at once. Unknown while the rate is.
    private func eta(open: [Job], remaining: Int64, reading: RateWindow.Reading, concurrency: Int) -> Duration? {
        guard !open.isEmpty else { return .zero }
        let toCreate = open.count(where: { $0.phase == .waiting || $0.phase == .creating })
        let overhead = (creates.value * toCreate + completes.value * open.count) / max(1, concurrency)
        guard remaining > 0 else { return overhead }
        guard case .rate(let rate) = reading, rate > 0 else { return nil }
        return .seconds(Double(remaining) / rate) + overhead
    }
}

/// One progress line's figures.
struct ProgressFigures: Sendable, Equatable {
    var filesDone: Int
    var filesTotal: Int
    var bytesSent: Int64
    var bytesTotal: Int64
    var reading: RateWindow.Reading
    /// Time left; nil while unknown.
    var eta: Duration?
    /// The files being uploaded now, in queue order.
    var current: [String]
}

/// A running mean of durations.
private struct Mean: Sendable {
    private var sum: Duration = .zero
    private var count = 0

    mutating func add(_ value: Duration) {
        sum += value
        count += 1
    }

    var value: Duration { count == 0 ? .zero : sum / count }
}
