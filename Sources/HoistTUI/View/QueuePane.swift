import HoistTerminal

/// The queue: one row per job with name, bar, percent, speed, ETA and state. Columns give
/// way on narrow terminals, the state last.
enum QueuePane {
    struct Columns: Equatable {
        var name: Int
        var bar: Int
        var percent = 4
        var speed: Int
        var eta: Int
        var state: Int

        init(width: Int) {
            state = max(10, min(18, width / 5))
            var rest = width - state - 1 - percent - 1
            // Speed and ETA only where the name and bar keep room to be read.
            speed = rest >= 10 + 1 + 20 ? 10 : 0
            rest -= speed == 0 ? 0 : speed + 1
            eta = rest >= 7 + 1 + 18 ? 7 : 0
            rest -= eta == 0 ? 0 : eta + 1
            bar = rest >= 18 ? max(8, min(30, rest * 2 / 5)) : 0
            name = max(0, rest - bar - (bar == 0 ? 0 : 1))
        }
    }

    static func draw(_ state: AppState, in rect: Rect, on canvas: Canvas) {
        let queue = state.queue
        let focused = state.focus == .queue && state.overlay == nil
        let unfinished = queue.unfinished.count
        var title = "Queue"
        if !queue.rows.isEmpty { title += " \(queue.rows.count - unfinished)/\(queue.rows.count)" }
        if state.isPaused { title += " (paused)" }
        canvas.box(rect, title: title, focused: focused)
        // One column of padding inside the border, as the browser has for its marks.
        let inner = Rect(row: rect.row + 1, column: rect.column + 2, rows: rect.rows - 2, columns: rect.columns - 4)
        guard inner.rows > 0, inner.columns > 0 else { return }
        if queue.rows.isEmpty {
            canvas.text("Nothing queued. Mark files with Space, upload with u.", row: inner.row, column: inner.column,
                        width: inner.columns, role: .queueDetail)
            return
        }
        let columns = Columns(width: inner.columns)
        for (line, index) in (queue.offset..<min(queue.rows.count, queue.offset + inner.rows)).enumerated() {
            drawRow(queue.rows[index], selected: queue.selected == queue.rows[index].id, focused: focused,
                    row: inner.row + line, column: inner.column, width: inner.columns, columns: columns, canvas: canvas)
        }
    }

    private static func drawRow(_ job: JobRow, selected: Bool, focused: Bool, row: Int, column: Int, width: Int,
                                columns: Columns, canvas: Canvas) {
        let highlight: ThemeRole? = selected ? (focused ? .selection : .selectionInactive) : nil
        if let highlight { canvas.fill(Rect(row: row, column: column - 1, rows: 1, columns: width + 2), role: highlight) }
        var x = column
        canvas.field(job.name, row: row, column: x, width: columns.name, role: highlight ?? .queueName)
        x += columns.name + 1
        if columns.bar > 0 {
            let bar = canvas.glyphs.barSegments(fraction: job.fraction, width: columns.bar)
            let used = canvas.text(bar.done, row: row, column: x, width: columns.bar, role: .queueBarDone)
            canvas.text(bar.todo, row: row, column: x + used, width: columns.bar - used, role: .queueBarTodo)
            x += columns.bar + 1
        }
        let active = job.state == .uploading
        canvas.field(job.state == .queued ? "" : Format.percent(job.fraction), row: row, column: x, width: columns.percent,
                     role: highlight ?? .queueDetail, alignment: .right)
        x += columns.percent + 1
        if columns.speed > 0 {
            canvas.field(active ? Format.speed(job.speed.bytesPerSecond) : "", row: row, column: x, width: columns.speed,
                         role: highlight ?? .queueDetail, alignment: .right)
            x += columns.speed + 1
        }
        if columns.eta > 0 {
            let left = job.speed.bytesPerSecond > 1 ? Double(job.size - job.sent) / job.speed.bytesPerSecond : nil
            canvas.field(active ? Format.duration(left) : "", row: row, column: x, width: columns.eta,
                         role: highlight ?? .queueDetail, alignment: .right)
            x += columns.eta + 1
        }
        canvas.field(job.state.label, row: row, column: x, width: column + width - x, role: highlight ?? stateRole(job.state))
    }

    static func stateRole(_ state: JobState) -> ThemeRole {
        switch state {
        case .queued: return .queueStateQueued
        case .creating, .uploading, .completing: return .queueStateActive
        case .retrying: return .queueStateRetrying
        case .done: return .queueStateDone
        case .failed: return .queueStateFailed
        case .cancelled: return .queueStateCancelled
        }
    }
}
