import Foundation
import HoistEngine

/// What a job is doing, as the queue shows it.
public enum JobState: Sendable, Equatable {
    case queued
    case creating
    case uploading
    case completing
    /// Waiting to try again; the row keeps when and why.
    case retrying(attempt: Int)
    case done
    /// The row keeps the error.
    case failed
    case cancelled

    /// Whether the job has ended (until a retry).
    public var isFinished: Bool {
        switch self {
        case .done, .failed, .cancelled: return true
        default: return false
        }
    }

    /// Whether the job holds one of the engine's slots.
    public var isActive: Bool {
        switch self {
        case .creating, .uploading, .completing, .retrying: return true
        default: return false
        }
    }
}

/// One line of a job's history, for the detail overlay.
public struct JobMoment: Sendable, Equatable {
    /// On the engine's clock.
    public var time: Duration
    /// The same moment on the wall clock, for people.
    public var wall: Date
    public var text: String
}

/// One row of the queue: a job and what the engine last said of it.
public struct JobRow: Sendable, Equatable {
    public var id: JobID
    public let path: String
    public var size: Int64
    public var sent: Int64 = 0
    public var state: JobState = .queued
    /// The remote file id (Lightfield) or final URL (Luw), once known.
    public var remoteID: String?
    /// The stored name, when the server gave one other than the file's.
    public var remoteName: String?
    /// Bytes per second of this job's PUT.
    public var rate = RateWindow()
    /// The failure that ended the job, while it is failed.
    public var error: EngineError?
    /// Retries announced, across the job's life.
    public var retries = 0
    /// While retrying: when the next attempt starts (engine clock) and why.
    public var retryAt: Duration?
    public var retryReason: String?
    /// States with their times, oldest first (bounded).
    public var history: [JobMoment] = []
    /// When the current create or complete round trip began (engine clock).
    var roundTripStart: Duration?
    /// A row from an earlier run's journal, shown for its id and URL; never counted.
    public var isEarlier = false

    public init(id: JobID, path: String, size: Int64) {
        self.id = id
        self.path = path
        self.size = size
    }

    /// How many moments a row keeps.
    static let historyLimit = 40

    /// The file's name, as shown.
    public var name: String { (path as NSString).lastPathComponent }

    /// Sent over total, 0 when the total is unknown. While the PUT waits for the server's
    /// answer the bar stops short of 100%: bytes handed to the network are not yet bytes
    /// the server has taken, and only its answer says so.
    public var fraction: Double {
        switch state {
        case .done, .completing: return 1
        default:
            guard size > 0 else { return 0 }
            return min(Double(sent) / Double(size), 0.999)
        }
    }

    /// Whether the PUT has gone quiet for ``RateWindow/stallAfter``.
    public func isStalled(at now: Duration) -> Bool { state == .uploading && rate.isStalled(at: now) }

    /// The state as the queue's last column says it at `now`: `stalled`, `retry in 4s:
    /// connection refused`, `failed: 413 too large`.
    public func status(at now: Duration) -> String {
        switch state {
        case .queued: return "queued"
        case .creating: return "creating"
        case .uploading: return isStalled(at: now) ? "stalled" : "uploading"
        case .completing: return "completing"
        case .retrying:
            let reason = retryReason.map { ": " + $0 } ?? ""
            guard let retryAt, retryAt > now else { return "retrying" + reason }
            return "retry in \(Int((retryAt - now).seconds.rounded(.up)))s" + reason
        case .done: return isEarlier ? "done earlier" : "done"
        case .failed: return "failed: " + (error?.shortReason ?? "unknown")
        case .cancelled: return "cancelled"
        }
    }

    mutating func remember(_ text: String, at time: Duration, wall: Date) {
        history.append(JobMoment(time: time, wall: wall, text: text))
        if history.count > Self.historyLimit { history.removeFirst(history.count - Self.historyLimit) }
    }
}
