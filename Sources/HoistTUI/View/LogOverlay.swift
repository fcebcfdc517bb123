import Foundation
import HoistTerminal

/// The event history over the panes, newest at the bottom, long lines wrapped; scrolled
/// `offset` lines up from the newest.
enum LogOverlay {
    struct Line: Equatable {
        /// The entry's time on its first line, empty on the lines that continue it.
        var time: String
        var text: String
        var isError: Bool
    }

    static func rect(_ size: Size) -> Rect { Overlays.centered(size, rows: size.rows - 2, columns: size.columns - 4) }

    /// Rows of text the box shows at once.
    static func visibleRows(_ size: Size) -> Int { max(1, rect(size).rows - 2) }

    /// Every entry wrapped to the box at `size`.
    static func lines(_ entries: [LogEntry], size: Size) -> [Line] {
        let timeWidth = 9
        let width = max(1, rect(size).columns - 4 - timeWidth)
        return entries.flatMap { entry in
            Wrap.lines(entry.text, width: width).enumerated().map { i, text in
                Line(time: i == 0 ? Overlays.clockTime(entry.time) : "", text: text, isError: entry.isError)
            }
        }
    }

    /// The largest useful offset: the oldest line at the top.
    static func maxOffset(_ entries: [LogEntry], size: Size) -> Int {
        max(0, lines(entries, size: size).count - visibleRows(size))
    }

    static func draw(_ entries: [LogEntry], offset: Int, size: Size, on canvas: Canvas) {
        let rect = rect(size)
        canvas.fill(rect, role: .dialog)
        let all = lines(entries, size: size)
        let rows = visibleRows(size)
        let offset = min(offset, max(0, all.count - rows))
        let end = all.count - offset
        let shown = all[max(0, end - rows)..<end]
        let glyphs = canvas.glyphs
        let position = all.count > rows ? "lines \(max(0, end - rows) + 1)\(glyphs.dash)\(end) of \(all.count)" : nil
        canvas.box(rect, title: "Log: \(Format.count(entries.count, "event")) (\(glyphs.upDown) g G scroll, Esc closes)", footer: position,
                   focused: true)
        for (i, line) in shown.enumerated() {
            let row = rect.row + 1 + i
            canvas.text(line.time, row: row, column: rect.column + 2, width: 9, role: .logTime)
            canvas.text(line.text, row: row, column: rect.column + 2 + 9, width: rect.columns - 4 - 9,
                        role: line.isError ? .logError : .logText)
        }
    }
}
