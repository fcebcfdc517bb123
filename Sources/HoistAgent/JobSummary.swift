import HoistEngine

/// One job as `hoist jobs` lists it: the fold of its events. Pure.
public struct JobSummary: Sendable, Equatable {
    public enum State: String, Sendable {
        /// `verifying`: a resumed multipart upload hashing the parts the store holds
        /// (`checked` of `checkTotal`), before any byte goes.
        case queued, creating, verifying, uploading, completing, retrying, completed, failed, cancelled
    }

    public var job: JobID
    public var path: String
    public var state: State = .queued
    public var size: Int64 = 0
    public var sent: Int64 = 0
    /// While `verifying`: bytes of the parts the store holds hashed so far, and their total.
    public var checked: Int64 = 0
    public var checkTotal: Int64 = 0
    /// The server's id (the Luw final URL) once it has one.
    public var remoteID: String?
    public var md5: String?
    public var error: EngineError?
    /// Why the job's session is still open on the server, when it ended (cancelled or
    /// failed) without its cancel going through; the engine makes it once the server answers.
    public var cancelPending: String?

    public init(job: JobID, path: String) {
        self.job = job
        self.path = path
    }

    /// The jobs `events` describe, in id order.
    public static func fold(_ events: [EngineEvent]) -> [JobSummary] {
        var jobs: [JobID: JobSummary] = [:]
        for event in events {
            var job = jobs[event.job] ?? JobSummary(job: event.job, path: event.path)
            job.apply(event.kind)
            jobs[event.job] = job
        }
        return jobs.keys.sorted().compactMap { jobs[$0] }
    }

    /// Folds a snapshot one job at a time: each job's events come together, jobs in id
    /// order (``JobBook/replay``), so a job is whole when the next one begins. A client
    /// listing 100,000 jobs holds one, not their 300,000 events.
    public struct Folder: Sendable {
        private var current: JobSummary?

        public init() {}

        /// Folds `event` in; the job before it, whole, once `event` begins another.
        public mutating func add(_ event: EngineEvent) -> JobSummary? {
            if var job = current, job.job == event.job {
                job.apply(event.kind)
                current = job
                return nil
            }
            let previous = current
            var job = JobSummary(job: event.job, path: event.path)
            job.apply(event.kind)
            current = job
            return previous
        }

        /// The last job, once the snapshot has ended.
        public mutating func finish() -> JobSummary? {
            defer { current = nil }
            return current
        }
    }

    /// Whether the job is on its way (a session being made, bytes going, completing, or
    /// waiting to retry): what `hoist stop` waits for.
    public var isRunning: Bool { [.creating, .verifying, .uploading, .completing, .retrying].contains(state) }

    mutating func apply(_ kind: EngineEvent.Kind) {
        switch kind {
        case .queued(let size):
            self = JobSummary(job: job, path: path)
            self.size = size
        case .started: state = .creating
        case .sessionCreated(let remote, _, _):
            remoteID = remote
            state = .uploading
        case .progress(let sent, let total), .resumed(let sent, let total):
            self.sent = sent
            size = total
            state = .uploading
        case .verifying(let checked, let total):
            // Parts the store holds being checked against the file: on its way, nothing
            // sent yet (`resumed` follows, then progress).
            self.checked = checked
            checkTotal = total
            state = .verifying
        case .completing:
            sent = size
            state = .completing
        case .completed(let remote, let md5):
            remoteID = remote
            self.md5 = md5
            sent = size
            state = .completed
        case .retrying: state = .retrying
        case .failed(let error):
            self.error = error
            state = .failed
        case .cancelled: state = .cancelled
        case .cancelPending(let reason): cancelPending = reason
        case .cancelDone: cancelPending = nil
        }
    }
}
