import Foundation
import HoistEngine

/// What a job is doing, as the queue shows it.
public enum JobState: Sendable, Equatable {
    case queued
    case creating
    case uploading
    /// Hashing `checked` of the `total` bytes of parts the store holds from an earlier run,
    /// to keep only those still the file's (multipart, before sending the rest).
    case verifying(checked: Int64, total: Int64)
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
        case .creating, .uploading, .verifying, .completing, .retrying: return true
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
///
/// A queued row holds its path, size, state and when it was queued, inline (about 100
/// bytes); everything a job says once it runs (ids, rate, error, retries, history) lives
/// out of line, made on the job's first step. 100,000 queued files then cost their rows,
/// not room for what running ones say (272 bytes each when it was all inline). A job that
/// ends done the ordinary way keeps its story as a ``JobOutcome`` instead: a row the queue
/// holds for the rest of the run, at about a third of what the running one took.
public struct JobRow: Sendable, Equatable {
    public var id: JobID
    public let path: String
    public var size: Int64
    public var sent: Int64 = 0
    public var state: JobState = .queued
    /// A row from an earlier run's journal, shown for its id and URL; never counted.
    public var isEarlier = false
    /// When the job was queued, while that is its only moment.
    private var queuedAt: Moment?
    /// Empty until the job's first step, then one element (an array: copy on write for free).
    private var more: [Details] = []
    /// Set instead of ``more`` once the job is done and its story fits one (see ``compact()``).
    private var outcome: JobOutcome?

    private struct Moment: Sendable, Equatable {
        var time: Duration
        var wall: Date
    }

    /// What a row learns once its job runs.
    struct Details: Sendable, Equatable {
        var remoteID: String?
        var remoteName: String?
        var rate = RateWindow()
        var error: EngineError?
        var retries = 0
        var retryAt: Duration?
        var retryReason: String?
        /// Why the session is still open on the server, once the job ended without its
        /// cancel going through (the engine makes it when the server answers).
        var cancelPending: String?
        var history: [JobMoment] = []
        var roundTripStart: Duration?
    }

    /// A compact row reads its ids and history from ``outcome`` (see those properties); its
    /// other details are the defaults ``compact()`` requires, so it reads them from a fresh
    /// `Details` instead of rebuilding its history to look. Changing one expands it.
    private var details: Details {
        get { more.first ?? Details() }
        _modify {
            if more.isEmpty {
                more.append(outcome?.details ?? Details())
                outcome = nil
            }
            yield &more[0]
        }
    }

    public init(id: JobID, path: String, size: Int64) {
        self.id = id
        self.path = path
        self.size = size
    }

    /// The remote file id (Lightfield) or final URL (Luw), once known.
    public var remoteID: String? {
        get { outcome?.remoteID ?? details.remoteID }
        set { details.remoteID = newValue }
    }
    /// The stored name, when the server gave one other than the file's.
    public var remoteName: String? {
        get { outcome.map(\.remoteName) ?? details.remoteName }
        set { details.remoteName = newValue }
    }
    /// Bytes per second of this job's PUT.
    public var rate: RateWindow {
        get { details.rate }
        _modify { yield &details.rate }
    }
    /// The failure that ended the job, while it is failed.
    public var error: EngineError? {
        get { details.error }
        set { details.error = newValue }
    }
    /// Retries announced, across the job's life.
    public var retries: Int {
        get { details.retries }
        set { details.retries = newValue }
    }
    /// While retrying: when the next attempt starts (engine clock) and why.
    public var retryAt: Duration? {
        get { details.retryAt }
        set { details.retryAt = newValue }
    }
    public var retryReason: String? {
        get { details.retryReason }
        set { details.retryReason = newValue }
    }
    /// Why the job's session is still open on the server (`cancel_pending`), while the
    /// job is cancelled or failed: the server has not taken its cancel yet.
    public var cancelPending: String? {
        get { details.cancelPending }
        set { details.cancelPending = newValue }
    }
    /// States with their times, oldest first (bounded).
    public var history: [JobMoment] {
        get {
            if let queuedAt { return [JobMoment(time: queuedAt.time, wall: queuedAt.wall, text: Self.queuedText)] }
            if let outcome { return outcome.history }
            return details.history
        }
        set {
            queuedAt = nil
            details.history = newValue
        }
    }
    /// When the current create or complete round trip began (engine clock).
    var roundTripStart: Duration? {
        get { details.roundTripStart }
        set { details.roundTripStart = newValue }
    }

    public static func == (lhs: JobRow, rhs: JobRow) -> Bool {
        lhs.id == rhs.id && lhs.path == rhs.path && lhs.size == rhs.size && lhs.sent == rhs.sent && lhs.state == rhs.state
            && lhs.isEarlier == rhs.isEarlier && lhs.history == rhs.history && lhs.withoutHistory == rhs.withoutHistory
    }

    /// The out-of-line part with its history left out (compared through ``history``), and
    /// a compact row's ids in it, so that it equals the row it was compacted from.
    private var withoutHistory: Details {
        var kept = details
        kept.remoteID = remoteID
        kept.remoteName = remoteName
        kept.history = []
        return kept
    }

    static let queuedText = "queued"
    static let creatingText = "creating a session"
    /// The user's `c` on the row: with the `cancelled` that follows, the history shows how
    /// long the cancel took (the server's answer included), on the engine's clock.
    static let cancelAskedText = "cancel asked"
    static let uploadingText = "uploading"
    /// A cancelled row whose session the server has not cancelled yet: cancelled here, not
    /// there (`cancel_pending`). Short: the queue's status column is about 20 wide.
    static let cancelledHereText = "cancelled locally"

    static let completingText = "all bytes taken; completing"
    /// The history's line for a session created (`as` the stored name when it differs).
    static func sessionText(_ remote: String) -> String { "session " + remote }
    static func doneText(_ remote: String) -> String { "done: " + remote }

    /// Whether the row keeps its story as a ``JobOutcome``.
    var isCompact: Bool { outcome != nil }

    /// Keeps a done job's story as a ``JobOutcome`` when it is the ordinary one (no retry,
    /// no error, every moment one of the usual lines), dropping its running details: the
    /// row reads the same, for a third of the memory. Anything else stays as it is.
    mutating func compact() {
        guard state == .done, let details = more.first, details.retries == 0, details.error == nil,
              let outcome = JobOutcome(details) else { return }
        self.outcome = outcome
        more = []
    }

    /// The job is queued (again, after a retry), `size` bytes: a row that has never run
    /// keeps only when; one that has run starts its rate and error over.
    mutating func queued(size: Int64, at time: Duration, wall: Date) {
        self.size = size
        sent = 0
        state = .queued
        if more.isEmpty && queuedAt == nil && outcome == nil {
            queuedAt = Moment(time: time, wall: wall)
            return
        }
        details.rate.reset()
        details.error = nil
        details.retryAt = nil
        details.retryReason = nil
        details.cancelPending = nil
        remember(Self.queuedText, at: time, wall: wall)
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
        case .verifying(let checked, let total):
            return "verifying \(EngineEvent.verifiedPercent(checked: checked, total: total))%"
        case .completing: return "completing"
        case .retrying:
            let reason = retryReason.map { ": " + $0 } ?? ""
            guard let retryAt, retryAt > now else { return "retrying" + reason }
            return "retry in \(Int((retryAt - now).seconds.rounded(.up)))s" + reason
        case .done: return isEarlier ? "done earlier" : "done"
        case .failed: return "failed: " + (error?.shortReason ?? "unknown")
        case .cancelled: return cancelPending == nil ? "cancelled" : Self.cancelledHereText
        }
    }

    mutating func remember(_ text: String, at time: Duration, wall: Date) {
        if let queuedAt {
            self.queuedAt = nil
            details.history.append(JobMoment(time: queuedAt.time, wall: queuedAt.wall, text: Self.queuedText))
        }
        details.history.append(JobMoment(time: time, wall: wall, text: text))
        if details.history.count > Self.historyLimit { details.history.removeFirst(details.history.count - Self.historyLimit) }
    }
}
