import HoistEngine

/// One job as `hoist jobs` lists it: the fold of its events. Pure.
public struct JobSummary: Sendable, Equatable {
    public enum State: String, Sendable {
        case queued, creating, uploading, completing, retrying, completed, failed, cancelled
    }

    public var job: JobID
    public var path: String
    public var state: State = .queued
    public var size: Int64 = 0
    public var sent: Int64 = 0
    /// The server's id (the Luw final URL) once it has one.
    public var remoteID: String?
    public var md5: String?
    public var error: EngineError?

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

    mutating func apply(_ kind: EngineEvent.Kind) {
        switch kind {
        case .queued(let size):
            self = JobSummary(job: job, path: path)
            self.size = size
        case .started: state = .creating
        case .sessionCreated(let remote, _):
            remoteID = remote
            state = .uploading
        case .progress(let sent, let total), .resumed(let sent, let total):
            self.sent = sent
            size = total
            state = .uploading
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
        }
    }
}
