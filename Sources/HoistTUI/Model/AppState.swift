import Foundation
import HoistEngine
import HoistTerminal

/// Which pane takes the keys.
public enum Focus: Sendable, Equatable { case browser, queue }

/// What covers the panes, if anything.
public enum Overlay: Sendable, Equatable {
    /// The key map, scrolled `offset` lines down when it does not fit.
    case help(offset: Int)
    /// The log pane, scrolled `offset` lines up from the newest.
    case log(offset: Int)
    /// "Quit and cancel N unfinished uploads?"
    case confirmQuit
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

/// Everything the TUI shows. Changed only by the reducer; drawn by the panes.
public struct AppState: Sendable, Equatable {
    public var size: Size
    public var focus: Focus = .browser
    public var overlay: Overlay?
    public var browser: BrowserState
    public var queue = QueueState()
    public var stats = TransferStats()
    /// Where uploads go: "embedded server at … (data in …)" or "profile work: lightfield …".
    public var destination: String
    /// The latest message, shown on the status pane's last line.
    public var message = ""
    public var messageIsError = false
    public var log: [LogEntry] = []
    public var isPaused = false
    public var concurrency: Int
    /// When Ctrl-C was last pressed, for "twice quits at once".
    public var lastInterrupt: Duration?
    /// Set once the app is leaving.
    public var isQuitting = false

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
        log.append(LogEntry(time: time, text: text, isError: error))
        if log.count > Self.logLimit { log.removeFirst(log.count - Self.logLimit) }
    }

    /// Bytes of all jobs, and bytes sent of them.
    public var byteTotals: (sent: Int64, total: Int64) {
        queue.rows.reduce((0, 0)) { acc, row in
            row.state == .cancelled ? acc : (acc.0 + (row.state == .done ? row.size : row.sent), acc.1 + row.size)
        }
    }
}
