import HoistTerminal

/// The status lines: totals, speed and ETA; where uploads go; the latest message.
enum StatusPane {
    static func draw(_ state: AppState, in rect: Rect, on canvas: Canvas) {
        guard rect.rows >= 3 else { return }
        canvas.fill(rect, role: .statusText)
        let rows = state.queue.rows
        let (sent, total) = state.byteTotals
        var x = rect.column + 1
        let end = rect.column + rect.columns
        func item(_ value: String, _ label: String, _ role: ThemeRole = .statusValue) {
            guard x < end else { return }
            x += canvas.text(value, row: rect.row, column: x, width: end - x, role: role)
            x += canvas.text(label.isEmpty ? "  " : " \(label)  ", row: rect.row, column: x, width: end - x, role: .statusText)
        }
        item("\(state.stats.done)/\(rows.count)", "done")
        item("\(Format.bytes(sent))/\(Format.bytes(total))", "")
        let speed = state.stats.rate.bytesPerSecond
        item(speed < 1 ? "--" : Format.speed(speed), "")
        item(Format.duration(state.stats.eta(remaining: max(0, total - sent))), "left")
        item("\(state.concurrency)", state.isPaused ? "jobs, paused" : "jobs", state.isPaused ? .statusWarning : .statusValue)
        if state.stats.failed > 0 { item("\(state.stats.failed)", "failed", .statusError) }

        canvas.text(state.destination, row: rect.row + 1, column: rect.column + 1, width: rect.columns - 2, role: .statusText)

        let hint = "? help  q quit"
        let hintWidth = TextWidth.width(of: hint)
        canvas.text(state.message, row: rect.row + 2, column: rect.column + 1, width: rect.columns - hintWidth - 4,
                    role: state.messageIsError ? .statusError : .statusText)
        canvas.text(hint, row: rect.row + 2, column: end - hintWidth - 1, width: hintWidth, role: .helpKey)
    }
}
