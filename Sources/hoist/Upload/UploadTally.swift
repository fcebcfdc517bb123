import HoistEngine

/// What `hoist upload` knows of its jobs, built from engine events only: the counts, bytes,
/// rate and ETA its progress and summary lines show. Every figure is derived from the jobs,
/// never kept twice.
struct UploadTally: Sendable {
    enum Phase: Sendable { case waiting, creating, sending, completing, completed, failed, cancelled }

    /// What every job keeps: small, because a run may queue 100,000 of them.
    struct Job: Sendable {
        var size: Int64 = 0
        var sent: Int64 = 0
        var phase = Phase.waiting

        /// Still to finish: it counts toward the ETA and the current files.
        var isOpen: Bool { ![.completed, .failed, .cancelled].contains(phase) }
    }

    /// What a job under way keeps besides: only the few running have one.
    private struct Running: Sendable {
        var path: String
        var startedAt: Duration?
        var completingAt: Duration?
    }

    /// The jobs not ended. An ended one leaves: a completed job only adds to the counts below
    /// (it never runs again), a failed or cancelled one is kept small, since another view of
    /// the background engine may retry it. A run of 100,000 files then holds the few on their
    /// way, not 100,000 records.
    private var jobs: [JobID: Job] = [:]
    private var completedFiles = 0
    private var completedBytes: Int64 = 0
    private var failed: [JobID: Job] = [:]
    private var cancelled: Set<JobID> = []
    private var running: [JobID: Running] = [:]
    private(set) var window = RateWindow()
    /// The create and complete round trips measured so far: the per-file cost of an upload
    /// beyond its bytes.
    private var creates = Mean()
    private var completes = Mean()
    /// The first failure that stops the whole run (refused, bad key...): the summary's "why".
    private(set) var haltingError: EngineError?
    /// Bytes reported sent before this time (engine clock) moved before this command
    /// followed them (a file another command queued, already under way when this one
    /// attached): they are not counted as sent by this run, nor in its speed.
    var countsFrom: Duration = .zero

    /// Records one event.
    mutating func record(_ event: EngineEvent) {
        // Said after the job's end (a kept cancel made): nothing to count, and no job to make.
        if case .cancelDone = event.kind { return }
        var job = jobs[event.job] ?? Job()
        var detail = running[event.job]
        switch event.kind {
        case .queued(let size):
            // Queued again (a retry): no longer counted as it ended.
            failed[event.job] = nil
            cancelled.remove(event.job)
            job = Job(size: size)
            detail = nil
        case .started:
            job.phase = .creating
            detail = Running(path: event.path, startedAt: event.time)
        case .sessionCreated(_, _, let resumed):
            job.phase = .sending
            // A session a killed run left was not created now: no create time to count.
            if let started = detail?.startedAt, !resumed { creates.add(event.time - started) }
            detail?.startedAt = nil
            window.begin(at: event.time)
        case .progress(let sent, let total):
            if event.time >= countsFrom { window.add(sent - job.sent, at: event.time) }
            job.sent = sent
            job.size = total
        case .resumed(let held, let total):
            // Held by the store already: counted as the job's, not as moved by this run.
            job.phase = .sending
            job.sent = held
            job.size = total
        case .verifying:
            // Reading the file, not sending it: no bytes for the rate.
            break
        case .completing:
            job.phase = .completing
            detail?.completingAt = event.time
        case .completed:
            if let completing = detail?.completingAt { completes.add(event.time - completing) }
            job.phase = .completed
        case .retrying, .cancelPending, .cancelDone:
            break
        case .failed(let error):
            job.phase = .failed
            if haltingError == nil, error.haltsRun { haltingError = error }
        case .cancelled:
            job.phase = .cancelled
        }
        switch job.phase {
        case .completed:
            completedFiles += 1
            completedBytes += job.size
            jobs[event.job] = nil
        case .failed:
            failed[event.job] = job
            jobs[event.job] = nil
        case .cancelled:
            cancelled.insert(event.job)
            jobs[event.job] = nil
        default:
            jobs[event.job] = job
        }
        running[event.job] = job.isOpen ? detail : nil
    }

    func count(_ phase: Phase) -> Int {
        switch phase {
        case .completed: return completedFiles
        case .failed: return failed.count
        case .cancelled: return cancelled.count
        default: return jobs.values.count(where: { $0.phase == phase })
        }
    }

    /// The figures of a progress line at `now` (engine clock), with `concurrency` uploads at once.
    func figures(at now: Duration, concurrency: Int) -> ProgressFigures {
        // One pass over the open jobs, nothing copied: a tick must cost little with 100,000
        // files queued. Cancelled files leave the totals: they are neither done nor still to send.
        let failedBytes = failed.values.reduce(into: (size: Int64(0), sent: Int64(0))) { $0.size += $1.size; $0.sent += $1.sent }
        var figures = ProgressFigures(
            filesDone: completedFiles + failed.count, filesTotal: completedFiles + failed.count,
            bytesSent: completedBytes + failedBytes.sent, bytesTotal: completedBytes + failedBytes.size,
            reading: window.reading(at: now), eta: nil, current: [])
        var toCreate = 0
        var remaining: Int64 = 0
        for job in jobs.values {
            figures.filesTotal += 1
            figures.bytesTotal += job.size
            figures.bytesSent += job.sent
            remaining += max(0, job.size - job.sent)
            if job.phase == .waiting || job.phase == .creating { toCreate += 1 }
        }
        figures.eta = eta(open: jobs.count, toCreate: toCreate, remaining: remaining, reading: figures.reading, concurrency: concurrency)
        figures.current = running.keys.sorted().compactMap { running[$0]?.path }
        return figures
    }

    /// Remaining bytes at the current rate, plus the round trips the remaining files still
    /// need (so that thousands of tiny files do not read `0:01`), shared by the uploads that
    /// run at once. Unknown while the rate is.
    private func eta(open: Int, toCreate: Int, remaining: Int64, reading: RateWindow.Reading, concurrency: Int) -> Duration? {
        guard open > 0 else { return .zero }
        // Shared by the uploads running now: with adaptive concurrency (no `--jobs`) that is
        // more than the number it started from.
        let slots = max(1, concurrency, running.count)
        let overhead = (creates.value * toCreate + completes.value * open) / slots
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
