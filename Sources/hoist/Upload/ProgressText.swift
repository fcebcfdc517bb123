import Foundation
import HoistEngine

/// The words and figures of `hoist upload`'s stderr lines (progress and summary).
enum ProgressText {
    /// The line written every `--progress-interval` when stderr is not a terminal:
    /// `hoist: progress: 3/12 files, 1.1 GiB of 4.0 GiB (27%), 2.0 MiB/s, ETA 0:31`.
    static func logLine(_ figures: ProgressFigures) -> String {
        "hoist: progress: \(files(figures)), \(bytes(figures.bytesSent)) of \(bytes(figures.bytesTotal)) (\(percent(figures))%), "
            + "\(reading(figures.reading)), ETA \(eta(figures.eta))"
    }

    /// The updating line on a terminal, cut to `columns`; it names the files being uploaded:
    /// `[3/12] 27% 1.1 GiB/4.0 GiB  2.0 MiB/s  ETA 0:31  big.iso, notes.txt +1`.
    static func liveLine(_ figures: ProgressFigures, columns: Int) -> String {
        let head = "[\(figures.filesDone)/\(figures.filesTotal)] \(percent(figures))% \(bytes(figures.bytesSent))/\(bytes(figures.bytesTotal))"
            + "  \(reading(figures.reading))  ETA \(eta(figures.eta))"
        let names = figures.current.map { OneLine.escape(($0 as NSString).lastPathComponent) }
        let room = columns - 1 - head.count - 2
        guard !names.isEmpty, room > 0 else { return String(head.prefix(max(0, columns - 1))) }
        // As many names as fit, then how many more there are.
        for shown in stride(from: names.count, through: 1, by: -1) {
            let more = names.count - shown
            let text = names.prefix(shown).joined(separator: ", ") + (more > 0 ? " +\(more)" : "")
            if text.count <= room { return head + "  " + text }
        }
        let more = names.count > 1 ? " +\(names.count - 1)" : ""
        let cut = max(0, room - more.count - 3)
        return head + "  " + (cut > 0 ? String(names[0].prefix(cut)) + "..." + more : "")
    }

    /// The last line: `hoist: 12 completed, 1 failed, 0 cancelled; 1.2 GiB in 1:02 (19.8 MiB/s)`,
    /// then `; stopped: REASON` when a failure stopped the run.
    static func summary(completed: Int, failed: Int, cancelled: Int, bytes sent: Int64, elapsed: Duration,
                        stoppedBy: EngineError?) -> String {
        let seconds = max(elapsed / .seconds(1), 0.001)
        var line = "hoist: \(completed) completed, \(failed) failed, \(cancelled) cancelled; "
            + "\(bytes(sent)) in \(clock(elapsed)) (\(rate(Double(sent) / seconds)))"
        if let stoppedBy { line += "; stopped: " + OneLine.escape(stoppedBy.description) }
        return line
    }

    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        // 1023.96 KiB would print as "1024.0 KiB": the next unit's 1.0 instead.
        if unit > 0, value >= 1023.95, unit < units.count - 1 { return "1.0 " + units[unit + 1] }
        return unit == 0 ? "\(count) B" : String(format: "%.1f", value) + " " + units[unit]
    }

    static func rate(_ bytesPerSecond: Double) -> String { bytes(Int64(max(0, bytesPerSecond))) + "/s" }

    /// A retry's wait: `1s 500ms`, `30s`, `250ms`. By hand, not `Duration.formatted(.units…)`:
    /// that is ICU's, and its first use maps 8.4 MiB of ICU data into the process (measured
    /// in a scratch program), which a 1 GiB upload's first retry would add to its peak RSS.
    static func wait(_ duration: Duration) -> String {
        let milliseconds = max(0, duration.wholeMilliseconds)
        let (whole, rest) = (milliseconds / 1000, milliseconds % 1000)
        switch (whole, rest) {
        case (0, 0): return "0ms"
        case (_, 0): return "\(whole)s"
        case (0, _): return "\(rest)ms"
        default: return "\(whole)s \(rest)ms"
        }
    }

    /// `m:ss`, or `h:mm:ss` from an hour on.
    static func clock(_ duration: Duration) -> String {
        let total = max(0, Int((duration / .seconds(1)).rounded()))
        let (hours, minutes, seconds) = (total / 3600, total / 60 % 60, total % 60)
        let tail = String(format: "%02d", seconds)
        return hours > 0 ? "\(hours):" + String(format: "%02d", minutes) + ":" + tail : "\(minutes):" + tail
    }

    private static func files(_ figures: ProgressFigures) -> String {
        "\(figures.filesDone)/\(figures.filesTotal) " + (figures.filesTotal == 1 ? "file" : "files")
    }

    private static func percent(_ figures: ProgressFigures) -> Int64 {
        figures.bytesTotal > 0 ? min(100, figures.bytesSent * 100 / figures.bytesTotal) : 0
    }

    private static func reading(_ reading: RateWindow.Reading) -> String {
        switch reading {
        case .measuring: return "--"
        case .stalled: return "stalled"
        case .rate(let value): return rate(value)
        }
    }

    private static func eta(_ eta: Duration?) -> String { eta.map(clock) ?? "--" }
}
