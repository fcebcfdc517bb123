import HoistTerminal

/// The status lines: totals, speed and ETA; where uploads go (or the banner of a failure
/// that stopped the run); the latest message and the key hint. Lines cut at the edge end
/// with an ellipsis.
enum StatusPane {
    static func draw(_ state: AppState, in rect: Rect, on canvas: Canvas) {
        guard rect.rows >= 3 else { return }
        canvas.fill(rect, role: .statusText)
        let counts = state.queue.counts
        let x = rect.column + 1
        let width = rect.columns - 2
        var pieces: [(text: String, role: ThemeRole)] = []
        func item(_ value: String, _ label: String, _ role: ThemeRole = .statusValue) {
            if !pieces.isEmpty { pieces.append(("  ", .statusText)) }
            pieces.append((value, role))
            if !label.isEmpty { pieces.append((" " + label, .statusText)) }
        }
        item("\(counts.done)/\(counts.total)", "done")
        item("\(Format.bytes(counts.sentBytes))/\(Format.bytes(counts.bytes))", "")
        item(counts.active == 0 ? "--" : Format.rate(state.stats.rate.bytesPerSecond(at: state.now)), "")
        item(Format.duration(state.eta), "left")
        item("\(state.concurrency)", (state.concurrency == 1 ? "job" : "jobs") + (state.isPaused ? ", paused" : ""),
             state.isPaused ? .statusWarning : .statusValue)
        if counts.failed > 0 { item("\(counts.failed)", "failed", .statusError) }
        canvas.line(pieces, row: rect.row, column: x, width: width)

        if let banner = state.banner {
            canvas.line([(banner, .statusError)], row: rect.row + 1, column: x, width: width)
        } else {
            canvas.line([(state.destination, .statusText)], row: rect.row + 1, column: x, width: width)
        }

        let hint = KeyMap.hint
        let hintWidth = TextWidth.width(of: hint)
        canvas.line([(state.message, state.messageIsError ? .statusError : .statusText)], row: rect.row + 2, column: x,
                    width: width - hintWidth - 2)
        canvas.text(hint, row: rect.row + 2, column: x + width - hintWidth, width: hintWidth, role: .helpKey)
    }
}
