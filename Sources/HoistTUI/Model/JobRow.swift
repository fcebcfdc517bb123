import Foundation
import HoistEngine

/// What a job is doing, as the queue shows it.
public enum JobState: Sendable, Equatable {
    case queued
    case creating
    case uploading
    case completing
    case done
    case failed(String)
    case cancelled
    case retrying(Int)

    /// Whether the job has ended (until a retry).
    public var isFinished: Bool {
        switch self {
        case .done, .failed, .cancelled: return true
        default: return false
        }
    }

    /// The word the queue shows.
    public var label: String {
        switch self {
        case .queued: return "queued"
        case .creating: return "creating"
        case .uploading: return "uploading"
        case .completing: return "completing"
        case .done: return "done"
        case .failed(let reason): return "failed: \(reason)"
        case .cancelled: return "cancelled"
        case .retrying(let attempt): return "retrying \(attempt)"
        }
    }
}

/// One row of the queue: a job and what the engine last said of it.
public struct JobRow: Sendable, Equatable {
    public let id: JobID
    public let path: String
    public var size: Int64
    public var sent: Int64 = 0
    public var state: JobState = .queued
    /// The remote file id or final URL, once known.
    public var remoteID: String?
    /// Bytes per second, smoothed.
    public var speed = SmoothedRate()

    public init(id: JobID, path: String, size: Int64) {
        self.id = id
        self.path = path
        self.size = size
    }

    /// The file's name, as shown.
    public var name: String { (path as NSString).lastPathComponent }

    /// Sent over total, 0 when the total is unknown.
    public var fraction: Double {
        if state == .done { return 1 }
        return size > 0 ? min(1, Double(sent) / Double(size)) : 0
    }

    /// Applies an engine event; `now` is when it arrived, for the speed.
    public mutating func apply(_ kind: EngineEvent.Kind, now: Duration) {
        // An ended job only starts again through a retry (`queued`); a progress report
        // flushed after the cancel must not bring it back to life.
        if state.isFinished {
            guard case .queued = kind else { return }
        }
        switch kind {
        case .queued(let size):
            self.size = size
            sent = 0
            state = .queued
            speed = SmoothedRate()
        case .started:
            state = .creating
        case .sessionCreated(let remote, _):
            remoteID = remote
            if case .retrying = state {} else { state = .uploading }
        case .progress(let sent, let total):
            if sent < self.sent { speed = SmoothedRate() }
            speed.record(total: sent, at: now)
            self.sent = sent
            size = total
            state = .uploading
        case .completing:
            sent = size
            state = .completing
        case .completed(let remote, _):
            remoteID = remote
            sent = size
            state = .done
            speed.stop()
        case .retrying(let attempt, _, _):
            state = .retrying(attempt)
        case .failed(let error):
            state = .failed(error.description)
            speed.stop()
        case .cancelled:
            state = .cancelled
            speed.stop()
        }
    }
}
