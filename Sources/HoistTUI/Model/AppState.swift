import Foundation
import HoistEngine
import HoistTerminal

/// Which pane takes the keys.
public enum Focus: Sendable, Equatable { case browser, queue }

/// What covers the panes, if anything.
public enum Overlay: Sendable, Equatable {
    /// The key map, scrolled `offset` lines down when it does not fit.
    case help(offset: Int)
    /// The log, scrolled `offset` lines up from the newest.
    case log(offset: Int)
    /// Everything known about one job, scrolled `offset` lines down.
    case detail(JobID, offset: Int)
    /// "Quit? N uploads are not finished": cancel them, keep them for the next run, or stay.
    case confirmQuit
    /// "Cancel every unfinished upload?"
    case confirmCancelAll
}

/// One line of the event history.
public struct LogEntry: Sendable, Equatable {
    public var time: Date
    public var text: String
    public var isError: Bool

    public init(time: Date, text: String, isError: Bool = false) {
        self.time = time
        self.text = text
        self.isError = isError
    }
}

/// Size and modification time of a file known to be uploaded, to tell it from a file that
/// changed since under the same name.
public struct FileStamp: Sendable, Equatable {
    public var size: Int64
    /// `nil` when only the size is known (uploaded in this run).
    public var mtimeNanos: Int64? {
        get { mtime == Self.unknown ? nil : mtime }
        set { mtime = newValue ?? Self.unknown }
    }
    /// 16 bytes, not the 24 an optional took: every done file of a run keeps one
    /// (``UploadedFiles``). No file has this time (292 years before 1970).
    private var mtime: Int64
    private static let unknown = Int64.min

    public init(size: Int64, mtimeNanos: Int64?) {
        self.size = size
        mtime = mtimeNanos ?? Self.unknown
    }
}

/// Everything the TUI shows. Changed only by the reducer; drawn by the panes.
public struct AppState: Sendable, Equatable {
    public var size: Size
    public var focus: Focus = .browser
    public var overlay: Overlay?
    public var browser: BrowserState
    public var queue = QueueState()
    public var stats = TransferStats()
    /// The latest time the reducer was told, on the engine's clock: what rates, stalls and
    /// countdowns are drawn at.
    public var now: Duration = .zero
    /// Where uploads go: "embedded server at … (data in …)" or "profile work: lightfield …".
    public var destination: String
    /// What the screen draws with: the marks of messages and the log are its (``Glyphs/arrow``).
    public var glyphs = Glyphs.unicode
    /// The latest message, shown on the status pane's last line.
    public var message = ""
    public var messageIsError = false
    /// A failure that stopped the run (refused, bad key…), named once until the user acts.
    public var banner: String?
    /// What the `u` being checked and queued has done so far.
    public var queueing = QueueingReport()
    public var log: [LogEntry] = []
    public var isPaused = false
    public var concurrency: Int
    /// Files uploaded to this destination, by path: from the journal and from this run.
    public var uploaded = UploadedFiles()
    /// The window title last set, so that it is written only when it changes.
    public var title = ""
    /// When Ctrl-C was last pressed, for "twice quits at once".
    public var lastInterrupt: Duration?
    /// Set once the app is leaving: waiting for the server to cancel sessions.
    public var isQuitting = false
    /// While quitting: leave at the latest then, cancelled or not.
    public var quitDeadline: Duration?
    /// How long quitting waits for pending sessions to be cancelled.
    public var cancelTimeout: Duration = .seconds(10)
    /// True when the engine runs in the background: leaving (`d`) lets uploads go on.
    public var background = false
    /// The background engine instance whose jobs the queue shows.
    public var engineInstance: String?
    /// The connection to the background engine is down (the banner says why).
    public var engineLost = false
    /// While an engine's snapshot comes in parts: whether this view was attached before it
    /// began (nil: no snapshot under way).
    public var attachingAgain: Bool?
    /// The background engine says how many files wait for a job (an engine of this version
    /// does): only then does a `u` count its files as waiting until the engine's word, since
    /// an older engine never corrects that count.
    public var engineCountsWaiting = false

    /// How many log lines are kept.
    public static let logLimit = 5000

    public init(size: Size, directory: String, destination: String, concurrency: Int) {
        self.size = size
        self.browser = BrowserState(directory: directory)
        self.destination = destination
        self.concurrency = concurrency
    }

    /// Shows `text` as the latest message and records it in the log.
    public mutating func say(_ text: String, error: Bool = false, at time: Date) {
        message = text
        messageIsError = error
        note(time, text, error: error)
    }

    /// Records `text` in the log without making it the latest message.
    public mutating func note(_ time: Date, _ text: String, error: Bool = false) {
        log.append(LogEntry(time: time, text: text, isError: error))
        // Trimmed a tenth at a time: 20,000 queued files must not shift the log 20,000 times.
        if log.count > Self.logLimit + Self.logLimit / 10 { log.removeFirst(log.count - Self.logLimit) }
    }

    /// Whether what is drawn changes with time alone (speeds, stalls, countdowns): then a
    /// frame a second is due even without events. Idle, nothing is.
    public var changesWithTime: Bool {
        isQuitting || queue.rows.contains { $0.state.isActive }
    }

    /// Seconds left: the bytes left at the current transfer rate, plus the round trips
    /// (create, complete) the files left still need at the mean measured so far, shared
    /// among the uploads that run at once. `nil` when unknown.
    public var eta: Double? {
        var bytes: Int64 = 0
        var creates = 0
        var completes = 0
        var unfinished = 0
        for row in queue.rows where !row.state.isFinished {
            unfinished += 1
            bytes += max(0, row.size - row.sent)
            switch row.state {
            case .queued, .creating:
                creates += 1
                completes += 1
            case .uploading, .verifying, .retrying:
                completes += 1
            default:
                break
            }
        }
        // Files the engine has not taken yet (beyond its window) are to do as much as the
        // queued rows: leaving them out, a 20,000-file `u` read about 0:10 for its whole run.
        let waiting = queue.waiting
        unfinished += waiting.files
        bytes += waiting.bytes
        creates += waiting.files
        completes += waiting.files
        guard unfinished > 0 else { return nil }
        let parallel = max(1, min(concurrency, unfinished))
        var seconds = 0.0
        if bytes > 0 {
            guard let rate = stats.rate.transferRate(at: now, parallel: parallel), rate > 0 else { return nil }
            seconds = Double(bytes) / rate
        }
        if creates > 0 {
            guard let create = stats.meanCreate else { return nil }
            seconds += Double(creates) * create / Double(parallel)
        }
        // A complete not yet measured counts as nothing: the bytes dominate until then.
        if completes > 0, let complete = stats.meanComplete { seconds += Double(completes) * complete / Double(parallel) }
        return seconds
    }

    /// `hoist 12/40 31%`, or `hoist` with nothing queued.
    public var windowTitle: String {
        let counts = queue.counts
        guard counts.total > 0 else { return "hoist" }
        return "hoist \(counts.done)/\(counts.total) \(Format.percent(counts.fraction))"
    }
}
