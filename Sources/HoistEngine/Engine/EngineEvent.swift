/// Identifies one job inside an engine.
public struct JobID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let rawValue: Int
    public init(_ rawValue: Int) { self.rawValue = rawValue }
    public static func < (a: JobID, b: JobID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "#\(rawValue)" }
}

/// Something that happened to a job. Every job ends with exactly one of
/// `completed`, `failed` or `cancelled` (and may start again after `retry`).
public struct EngineEvent: Sendable, Equatable {
    public var job: JobID
    /// The local file's path.
    public var path: String
    public var kind: Kind
    /// When it happened, on the engine's clock (`EngineConfiguration.clock`): for progress,
    /// when those bytes were taken. Front ends compute rates from this, never from the time
    /// they happened to read the event.
    public var time: Duration

    public init(job: JobID, path: String, kind: Kind, time: Duration = .zero) {
        self.job = job
        self.path = path
        self.kind = kind
        self.time = time
    }

    public enum Kind: Sendable, Equatable {
        /// Waiting for a slot. `size` is the file's size in bytes.
        case queued(size: Int64)
        /// The job got a slot and is creating its session (not an NDJSON event).
        case started
        /// The server handed out a session: Lightfield file id (or Luw final URL, or S3 key)
        /// and stored name. `resumed`: no call made it now; the job goes on with the session
        /// a killed run left (so no create time is measured from it).
        case sessionCreated(remoteID: String, filename: String, resumed: Bool = false)
        /// Body bytes the connection has taken so far (written to the socket, see `PutDelegate`),
        /// at most one report per `progressInterval`. The report of the last byte
        /// (`sent == total`) is made only once the server answered the PUT with success, so a
        /// bar never shows 100% while the server is still receiving or storing.
        case progress(sent: Int64, total: Int64)
        /// The store already holds `held` of the job's `total` bytes, which this attempt will
        /// not send: the parts of a multipart upload resumed after a kill, or kept across a
        /// retry. It moves the job's count to `held` without those bytes counting as moved
        /// now (no speed, no "sent this run"); `progress` goes on from there.
        case resumed(held: Int64, total: Int64)
        /// Before a multipart upload goes on from parts the store already holds, those hoist
        /// cannot vouch for from its journal (the journal missed them, or the file changed
        /// since they were read) are read and hashed again, to keep only parts that are still
        /// this file's bytes: `checked` of those `total` bytes so far. Reported at 0, then at
        /// most once per progress interval, and at `total`; nothing moves over the network
        /// meanwhile. `resumed` follows, with the bytes kept (0 when none were).
        case verifying(checked: Int64, total: Int64)
        /// All bytes sent; asking the server to complete/finalize.
        case completing
        /// The server accepted the file. `remoteID` is the Lightfield id or the Luw final URL.
        case completed(remoteID: String, md5: String)
        /// A step failed and will be tried again after `delay`; `reason` is the failure's
        /// readable message (`EngineError.message`).
        case retrying(attempt: Int, delay: Duration, reason: String)
        /// The job ended in failure. The error carries the server's `status`, `serverCode` and
        /// `serverMessage` when a server answered. When `error.haltsRun`, the engine starts no
        /// new job after it (see `EngineConfiguration.onHalt` and `UploadEngine.haltedBy`).
        /// Boxed: the error (72 bytes) made every event 120 bytes, where the other cases
        /// need 88, and the engine, its clients and the view keep events by the 100,000.
        indirect case failed(EngineError)
        case cancelled
        /// The job is ending (`cancelled` or `failed` follows) with its session still open on
        /// the server: the cancel did not go through, because the server was not reached,
        /// answered 5xx, or did not answer within the cancel grace (a multipart upload's
        /// abort: any failure after its tries), and the journal could keep it.
        /// The journal keeps the cancel, and it is made once the server answers: tried again
        /// every `EngineConfiguration.abortRetryInterval` while the engine runs, and at the
        /// next engine's start. `reason` is the failure's readable message.
        case cancelPending(reason: String)
        /// The cancel a `cancelPending` said was kept has been made: the session is no longer
        /// open on the server (it cancelled it, or answered 404 or 409: it had ended). Comes
        /// from the engine that said `cancelPending`, after the job's end as a rule, though
        /// a quick retry may make it just before (a later engine that makes it says nothing:
        /// it never knew the job; nor is it said of a job retried since). Not a line of
        /// `hoist upload --json`, whose last line for a file is its end.
        case cancelDone
    }

    /// True for the three events that end a job.
    public var isTerminal: Bool {
        switch kind {
        case .completed, .failed, .cancelled: return true
        default: return false
        }
    }
}

extension EngineEvent {
    /// What every front end says of a `cancelPending`: the session is open on the server
    /// still, and hoist will cancel it there (this engine while it runs, or the next one).
    public static func cancelPendingText(_ reason: String) -> String {
        "the session is still open on the server (\(reason)): hoist cancels it there once the server answers"
    }

    /// What every front end says of a `cancelDone`.
    public static let cancelDoneText = "the server has taken the cancel: the session is no longer open there"

    /// How far a `verifying` check is, in whole percent of the bytes the store holds: 100
    /// when it holds none. The TUI's row and `hoist jobs` both show it.
    public static func verifiedPercent(checked: Int64, total: Int64) -> Int {
        total > 0 ? Int(Double(min(max(checked, 0), total)) / Double(total) * 100) : 100
    }
}
