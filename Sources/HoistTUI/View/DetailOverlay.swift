import Foundation
import HoistEngine
import HoistTerminal

/// Everything known about one job, over the panes: where it is, where it went, each state
/// with its time, retries, and the server's code and message, all wrapped.
enum DetailOverlay {
    static let labelWidth = 9

    static func rect(_ size: Size) -> Rect {
        Overlays.centered(size, rows: size.rows - 2, columns: min(size.columns - 4, 100))
    }

    static func visibleRows(_ size: Size) -> Int { max(1, rect(size).rows - 2) }

    /// One line of the overlay: a field's label (empty where the field's text goes on) and
    /// its text, or (label `nil`) a line across the whole box.
    struct Line: Equatable {
        var label: String?
        var text: String
        var role: ThemeRole
    }

    /// The overlay's lines for `row` in `state`.
    static func lines(_ row: JobRow, state: AppState) -> [Line] {
        let width = max(1, rect(state.size).columns - 4 - labelWidth - 1)
        var lines: [Line] = []
        func field(_ label: String, _ text: String, role: ThemeRole = .dialog) {
            for (i, line) in Wrap.lines(text, width: width).enumerated() {
                lines.append(Line(label: i == 0 ? label : "", text: line, role: role))
            }
        }
        field("File", row.name)
        field("Path", row.path)
        field("Size", row.size > 0 ? "\(Format.bytes(row.size)) (\(row.size) bytes)" : "unknown")
        field("State", row.status(at: state.now), role: row.state == .failed ? .statusError : .dialog)
        if !row.isEarlier, !row.state.isFinished || row.sent > 0 {
            var sent = "\(Format.bytes(row.sent)) (\(Format.percent(row.fraction)))"
            if row.state == .uploading { sent += ", " + Format.rate(row.rate.bytesPerSecond(at: state.now)) }
            field("Sent", sent)
        }
        field("Remote", row.remoteID ?? "no session yet")
        if let name = row.remoteName, name != row.name { field("Stored as", name) }
        field("Retries", "\(row.retries)")
        if let error = row.error {
            field("Error", error.description, role: .statusError)
            if let status = error.status { field("Server", "HTTP \(status)" + (error.serverCode.map { ", code \($0)" } ?? "")) }
        }
        if !row.history.isEmpty {
            lines.append(Line(label: nil, text: "", role: .dialog))
            lines.append(Line(label: nil, text: "History", role: .title))
            let first = row.history[0].time
            for moment in row.history {
                let seconds = (moment.time - first).seconds
                let elapsed = String(format: seconds < 10 ? "+%.3fs" : "+%.1fs", seconds)
                let prefix = "\(Overlays.clockTime(moment.wall)) \(TextWidth.pad(elapsed, to: 8, alignment: .right))  "
                let texts = Wrap.lines(moment.text, width: max(1, width + labelWidth + 1 - TextWidth.width(of: prefix)))
                for (i, text) in texts.enumerated() {
                    let lead = i == 0 ? prefix : String(repeating: " ", count: TextWidth.width(of: prefix))
                    lines.append(Line(label: nil, text: lead + text, role: .dialog))
                }
            }
        }
        return lines
    }

    static func maxOffset(_ row: JobRow, state: AppState) -> Int {
        max(0, lines(row, state: state).count - visibleRows(state.size))
    }

    static func draw(_ row: JobRow, offset: Int, state: AppState, on canvas: Canvas) {
        let rect = rect(state.size)
        canvas.fill(rect, role: .dialog)
        let all = lines(row, state: state)
        let rows = visibleRows(state.size)
        let offset = min(offset, max(0, all.count - rows))
        let glyphs = canvas.glyphs
        let footer = all.count > rows ? "lines \(offset + 1)\(glyphs.dash)\(min(all.count, offset + rows)) of \(all.count)" : nil
        canvas.box(rect, title: "\(row.name) (\(glyphs.upDown) scroll, y copies URL, Esc closes)", footer: footer, focused: true)
        for (i, line) in all.dropFirst(offset).prefix(rows).enumerated() {
            let y = rect.row + 1 + i
            let x = rect.column + 2
            guard let label = line.label else {
                canvas.text(line.text, row: y, column: x, width: rect.columns - 4, role: line.role)
                continue
            }
            canvas.text(label, row: y, column: x, width: labelWidth, role: .helpKey)
            canvas.text(line.text, row: y, column: x + labelWidth + 1, width: rect.columns - 4 - labelWidth - 1, role: line.role)
        }
    }
}
