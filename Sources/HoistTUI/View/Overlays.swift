import Foundation
import HoistTerminal

/// Boxes drawn over the panes: help, the log, the quit question, and the message shown
/// instead of the panes on a terminal that is too small.
enum Overlays {
    static func centered(_ size: Size, rows: Int, columns: Int) -> Rect {
        let r = min(rows, size.rows - 2), c = min(columns, size.columns - 4)
        return Rect(row: max(0, (size.rows - r) / 2), column: max(0, (size.columns - c) / 2), rows: r, columns: c)
    }

    /// The key map, generated from ``KeyMap/bindings``: two columns where they fit,
    /// otherwise one that scrolls from `offset`.
    static func help(_ size: Size, offset: Int, on canvas: Canvas) {
        func widths(_ lines: [(keys: String, text: String)]) -> (keys: Int, all: Int) {
            let keys = lines.map { TextWidth.width(of: $0.keys) }.max() ?? 0
            let texts = lines.map { TextWidth.width(of: $0.text) }.max() ?? 0
            return (keys, keys + 1 + texts)
        }
        var columns = KeyMap.helpLines(columns: 2)
        let twoWide = columns.reduce(1) { $0 + widths($1).all + 3 }
        let twoTall = (columns.map(\.count).max() ?? 0) + 2
        if twoWide > size.columns - 4 || twoTall > size.rows - 2 { columns = KeyMap.helpLines(columns: 1) }
        let height = (columns.map(\.count).max() ?? 0) + 2
        let scrolls = height > size.rows - 2
        let rect = centered(size, rows: height, columns: columns.reduce(1) { $0 + widths($1).all + 3 })
        canvas.fill(rect, role: .dialog)
        canvas.box(rect, title: scrolls ? "Keys (\u{2191}\u{2193} scroll, Esc closes)" : "Keys (Esc closes)", focused: true)
        var x = rect.column + 2
        for column in columns {
            let (keyWidth, width) = widths(column)
            let visible = column.dropFirst(scrolls ? min(offset, max(0, column.count - (rect.rows - 2))) : 0).prefix(rect.rows - 2)
            for (i, line) in visible.enumerated() {
                let row = rect.row + 1 + i
                if line.keys.isEmpty {
                    canvas.text(line.text, row: row, column: x, width: width, role: .title)
                } else {
                    canvas.field(line.keys, row: row, column: x, width: keyWidth, role: .helpKey)
                    canvas.text(line.text, row: row, column: x + keyWidth + 1, width: width - keyWidth - 1, role: .helpText)
                }
            }
            x += width + 3
        }
    }

    /// The event history, newest at the bottom; `offset` lines scrolled up.
    static func log(_ entries: [LogEntry], offset: Int, size: Size, on canvas: Canvas) {
        let rect = centered(size, rows: size.rows - 2, columns: size.columns - 4)
        canvas.fill(rect, role: .dialog)
        canvas.box(rect, title: "Log: \(entries.count) events (↑↓ scroll, Esc closes)", focused: true)
        let rows = rect.rows - 2
        let end = max(0, entries.count - offset)
        let shown = entries[max(0, end - rows)..<end]
        for (i, entry) in shown.enumerated() {
            let row = rect.row + 1 + i
            let time = clockTime(entry.time)
            let used = canvas.text(time + " ", row: row, column: rect.column + 2, width: rect.columns - 4, role: .logTime)
            canvas.text(entry.text, row: row, column: rect.column + 2 + used, width: rect.columns - 4 - used,
                        role: entry.isError ? .logError : .logText)
        }
    }

    /// `HH:MM:SS` in the local time zone, 24-hour.
    static func clockTime(_ date: Date) -> String {
        let parts = Calendar.current.dateComponents([.hour, .minute, .second], from: date)
        return String(format: "%02d:%02d:%02d", parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0)
    }

    /// "Quit and cancel?" while uploads are unfinished.
    static func confirmQuit(_ state: AppState, on canvas: Canvas) {
        let count = state.queue.unfinished.count
        let rect = centered(state.size, rows: 6, columns: 52)
        canvas.fill(rect, role: .dialog)
        canvas.box(rect, title: "Quit hoist?", focused: true)
        canvas.text("\(count) upload\(count == 1 ? " is" : "s are") not finished.", row: rect.row + 2, column: rect.column + 3,
                    width: rect.columns - 6, role: .dialog)
        canvas.text("y: quit and cancel their sessions   n: stay", row: rect.row + 3, column: rect.column + 3,
                    width: rect.columns - 6, role: .helpKey)
    }

    /// Shown instead of the panes when the terminal is smaller than ``Layout/minimum``.
    static func tooSmall(_ size: Size, on canvas: Canvas) {
        let lines = ["terminal too small", "\(size.columns)×\(size.rows), hoist needs \(Layout.minimum.columns)×\(Layout.minimum.rows)",
                     "enlarge it, or q to quit"]
        for (i, line) in lines.enumerated() {
            let row = size.rows / 2 - 1 + i
            let width = TextWidth.width(of: line)
            canvas.text(line, row: max(0, row), column: max(0, (size.columns - width) / 2), width: size.columns,
                        role: i == 0 ? .statusError : .statusText)
        }
    }
}
