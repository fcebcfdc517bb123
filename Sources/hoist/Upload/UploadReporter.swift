import Foundation
import HoistEngine

/// Turns engine events and progress ticks into the command's output.
///
/// stdout carries the script interface, unchanged: one result line per file, or NDJSON with
/// `--json`. stderr carries what a person watches: progress (an updating line on a terminal,
/// a line every interval otherwise) and the final summary.
struct UploadReporter {
    /// How progress is shown on stderr.
    enum Progress: Equatable {
        /// stderr is a terminal: one updating line naming the current files and the ETA.
        case live
        /// stderr is a file or pipe: a line on every tick.
        case log
        case none
    }

    let json: Bool
    let dialect: Dialect
    let progress: Progress
    /// Uploads running at once, for the ETA's per-file overhead.
    let concurrency: Int

    private(set) var tally = UploadTally()
    private var remoteIDs: [JobID: String] = [:]
    private var lastDraw: Duration?
    private var lineShown = false

    /// `countsFrom`: see ``UploadTally/countsFrom``.
    init(json: Bool, dialect: Dialect, progress: Progress, concurrency: Int, countsFrom: Duration = .zero) {
        tally.countsFrom = countsFrom
        self.json = json
        self.dialect = dialect
        self.progress = progress
        self.concurrency = concurrency
    }

    mutating func handle(_ event: EngineEvent) {
        tally.record(event)
        // An ended job has printed its last line: its remote id need not stay (100,000 would).
        defer { if event.isTerminal { remoteIDs[event.job] = nil } }
        switch event.kind {
        case .sessionCreated(let id, _, _), .completed(let id, _): remoteIDs[event.job] = id
        default: break
        }
        if json {
            if let line = event.jsonLine(dialect: dialect, remoteID: remoteIDs[event.job]) { Stdout.write(line + "\n") }
            return
        }
        let path = OneLine.escape(event.path)
        switch event.kind {
        case .completed(let id, let md5):
            clearLine()
            Stdout.write("completed \(path) \(OneLine.escape(id)) md5=\(md5)\n")
        case .failed(let error):
            clearLine()
            Stdout.write("failed \(path): \(OneLine.escape(error.description))\n")
        case .cancelled:
            clearLine()
            Stdout.write("cancelled \(path)\n")
        case .retrying(let attempt, let delay, let reason):
            clearLine()
            Stderr.write("retrying \(path) (attempt \(attempt) in \(ProgressText.wait(delay))): \(OneLine.escape(reason))\n")
        case .cancelPending(let reason):
            // On stderr: stdout's result line for the job (`cancelled PATH`, `failed PATH: …`)
            // follows unchanged.
            clearLine()
            Stderr.write("\(path): \(OneLine.escape(EngineEvent.cancelPendingText(reason)))\n")
        case .cancelDone:
            clearLine()
            Stderr.write("\(path): \(EngineEvent.cancelDoneText)\n")
        case .verifying(0, let total):
            clearLine()
            Stderr.write("verifying \(path): hashing \(total) bytes the store holds, to keep only what is still this file's\n")
        case .resumed(let held, let total):
            clearLine()
            Stderr.write("resuming \(path): \(held) of \(total) bytes already stored\n")
        case .sessionCreated(let id, _, _) where progress != .live:
            Stderr.write("uploading \(path) as \(OneLine.escape(id))\n")
        default:
            break
        }
        // A result line just took the live line's place: put it back at once.
        if progress == .live { draw(at: event.time, force: !lineShown) }
    }

    /// A tick of the progress clock at `now` (engine clock).
    mutating func tick(at now: Duration) {
        switch progress {
        case .live: draw(at: now, force: true)
        case .log: Stderr.write(ProgressText.logLine(tally.figures(at: now, concurrency: concurrency)) + "\n")
        case .none: break
        }
    }

    /// Clears the live line and writes the summary.
    mutating func finish(elapsed: Duration) {
        clearLine()
        Stderr.write(ProgressText.summary(
            completed: tally.count(.completed), failed: tally.count(.failed), cancelled: tally.count(.cancelled),
            bytes: tally.window.total, elapsed: elapsed, stoppedBy: tally.haltingError) + "\n")
    }

    /// Redraws the live line, at most four times a second unless `force`d.
    private mutating func draw(at now: Duration, force: Bool) {
        if !force, let lastDraw, now - lastDraw < .milliseconds(250) { return }
        lastDraw = now
        let line = ProgressText.liveLine(tally.figures(at: now, concurrency: concurrency), columns: Self.columns())
        Stderr.write("\r\u{1B}[K" + line)
        lineShown = true
    }

    private mutating func clearLine() {
        guard lineShown else { return }
        Stderr.write("\r\u{1B}[K")
        lineShown = false
    }

    /// stderr's width, so that the live line never wraps (a wrapped line cannot be redrawn).
    private static func columns() -> Int {
        var size = winsize()
        guard ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }
}
