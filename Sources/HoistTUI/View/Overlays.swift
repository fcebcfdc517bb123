import Foundation
import HoistTerminal

/// Boxes drawn over the panes (help, log and details have files of their own), the two
/// questions, and the message shown instead of the panes on a terminal that is too small.
enum Overlays {
    static func centered(_ size: Size, rows: Int, columns: Int) -> Rect {
        let r = min(rows, size.rows - 2), c = min(columns, size.columns - 4)
        return Rect(row: max(0, (size.rows - r) / 2), column: max(0, (size.columns - c) / 2), rows: r, columns: c)
    }

    /// `HH:MM:SS` in the local time zone, 24-hour.
    static func clockTime(_ date: Date) -> String {
        let parts = Calendar.current.dateComponents([.hour, .minute, .second], from: date)
        return String(format: "%02d:%02d:%02d", parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0)
    }

    /// "Quit hoist?" while uploads are unfinished: cancel them, keep them, or stay.
    static func confirmQuit(_ state: AppState, on canvas: Canvas) {
        let count = state.queue.counts.unfinished
        question(title: "Quit hoist?", lines: ["\(Format.count(count, "upload")) \(count == 1 ? "is" : "are") not finished."],
                 answers: KeyMap.answers(.quitQuestion, background: state.background), size: state.size, on: canvas)
    }

    /// "Cancel every unfinished upload?"
    static func confirmCancelAll(_ state: AppState, on canvas: Canvas) {
        let count = state.queue.counts.unfinished
        question(title: "Cancel uploads?", lines: ["Cancel \(count == 1 ? "the" : "all \(count)") unfinished upload\(count == 1 ? "" : "s")?"],
                 answers: KeyMap.answers(.cancelQuestion), size: state.size, on: canvas)
    }

    /// A question box: its lines, a blank, then one line per answer (generated from the key map).
    private static func question(title: String, lines: [String], answers: [(key: String, text: String)], size: Size,
                                 on canvas: Canvas) {
        let rect = centered(size, rows: lines.count + answers.count + 4, columns: 52)
        canvas.fill(rect, role: .dialog)
        canvas.box(rect, title: title, focused: true)
        let x = rect.column + 3
        let width = rect.columns - 6
        for (i, line) in lines.enumerated() {
            canvas.text(line, row: rect.row + 1 + i, column: x, width: width, role: .dialog)
        }
        let keyWidth = answers.map { TextWidth.width(of: $0.key) }.max() ?? 0
        for (i, answer) in answers.enumerated() {
            let y = rect.row + 2 + lines.count + i
            canvas.field(answer.key, row: y, column: x, width: keyWidth, role: .helpKey)
            canvas.text(answer.text, row: y, column: x + keyWidth + 2, width: width - keyWidth - 2, role: .dialog)
        }
    }

    /// Shown instead of the panes when the terminal is smaller than ``Layout/minimum``; with
    /// the quit question's lines when `q` opened it, since no box fits.
    static func tooSmall(_ state: AppState, on canvas: Canvas) {
        let size = state.size
        let times = canvas.glyphs.times
        var lines = ["terminal too small", "\(size.columns)\(times)\(size.rows), hoist needs \(Layout.minimum.columns)\(times)\(Layout.minimum.rows)"]
        if state.overlay == .confirmQuit {
            let count = state.queue.counts.unfinished
            lines.append("quit? \(Format.count(count, "upload")) not finished")
            lines += KeyMap.answers(.quitQuestion, background: state.background).map { "\($0.key) \($0.text)" }
        } else {
            lines.append("enlarge it, or q to quit")
        }
        for (i, line) in lines.enumerated() {
            let row = max(0, min(size.rows / 2 - 1, size.rows - lines.count)) + i
            guard row < size.rows else { break }
            // Cut with the ellipsis like every other line: a 10-column terminal reads
            // "terminal…", not "terminal t".
            let width = min(TextWidth.width(of: line), size.columns)
            canvas.field(line, row: row, column: max(0, (size.columns - width) / 2), width: width,
                         role: i == 0 ? .statusError : .statusText)
        }
    }
}
