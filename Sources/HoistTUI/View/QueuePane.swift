import HoistTerminal

/// The queue: one row per job with name, bar, percent, speed, ETA and state; earlier runs'
/// uploads below when shown. Columns give way on narrow terminals, the state last.
enum QueuePane {
    struct Columns: Equatable {
        var name: Int
        var bar: Int
        var percent = 4
        var speed: Int
        var eta: Int
        var state: Int

        init(width: Int) {
            // Room for a short reason: `failed: 413 too large`, `retry in 4s: connection…`.
            state = max(12, min(24, width / 3))
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

    /// `Queue 3/6` (done of total, as the status line counts), `(paused)`, done rows no
    /// longer listed, earlier uploads.
    static func title(_ state: AppState) -> String {
        let counts = state.queue.counts
        var title = "Queue"
        if counts.total > 0 || counts.cancelled > 0 { title += " \(counts.done)/\(counts.total)" }
        if state.isPaused { title += " (paused)" }
        if state.queue.unlisted.count > 0 { title += "\(state.glyphs.separator)\(state.queue.unlisted.count) done not listed" }
        if state.queue.showsEarlier { title += " + \(state.queue.earlier.count) earlier" }
        return title
    }

    static func draw(_ state: AppState, in rect: Rect, on canvas: Canvas) {
        let queue = state.queue
        let focused = state.focus == .queue && state.overlay == nil
        canvas.box(rect, title: title(state), focused: focused)
        // One column of padding inside the border, as the browser has for its marks.
        let inner = Rect(row: rect.row + 1, column: rect.column + 2, rows: rect.rows - 2, columns: rect.columns - 4)
        guard inner.rows > 0, inner.columns > 0 else { return }
        let listed = queue.listed
        if listed.isEmpty {
            canvas.text("Nothing queued. Mark files with Space, upload with u.", row: inner.row, column: inner.column,
                        width: inner.columns, role: .queueDetail)
            return
        }
        let columns = Columns(width: inner.columns)
        for (line, index) in (queue.offset..<min(listed.count, queue.offset + inner.rows)).enumerated() {
            drawRow(listed[index], selected: queue.selected == listed[index].id, focused: focused, now: state.now,
                    row: inner.row + line, column: inner.column, width: inner.columns, columns: columns, canvas: canvas)
        }
    }

    private static func drawRow(_ job: JobRow, selected: Bool, focused: Bool, now: Duration, row: Int, column: Int, width: Int,
                                columns: Columns, canvas: Canvas) {
        let highlight: ThemeRole? = selected ? (focused ? .selection : .selectionInactive) : nil
        if let highlight { canvas.fill(Rect(row: row, column: column - 1, rows: 1, columns: width + 2), role: highlight) }
        var x = column
        canvas.field(job.name, row: row, column: x, width: columns.name, role: highlight ?? (job.isEarlier ? .browserHidden : .queueName))
        x += columns.name + 1
        if job.isEarlier {
            // An earlier run's upload has no progress to show: its id or URL takes that room.
            let stateColumn = column + width - columns.state
            canvas.field(job.remoteID ?? "", row: row, column: x, width: stateColumn - 1 - x, role: highlight ?? .queueDetail)
            canvas.field(job.status(at: now), row: row, column: stateColumn, width: columns.state, role: highlight ?? .queueStateDone)
            return
        }
        if columns.bar > 0 {
            let bar = canvas.glyphs.barSegments(fraction: job.fraction, width: columns.bar)
            let used = canvas.text(bar.done, row: row, column: x, width: columns.bar, role: .queueBarDone)
            canvas.text(bar.todo, row: row, column: x + used, width: columns.bar - used, role: .queueBarTodo)
            x += columns.bar + 1
        }
        let uploading = job.state == .uploading
        canvas.field(job.state == .queued || job.isEarlier ? "" : Format.percent(job.fraction), row: row, column: x,
                     width: columns.percent, role: highlight ?? .queueDetail, alignment: .right)
        x += columns.percent + 1
        let rate = job.rate.bytesPerSecond(at: now)
        if columns.speed > 0 {
            canvas.field(uploading ? Format.rate(rate) : "", row: row, column: x, width: columns.speed,
                         role: highlight ?? .queueDetail, alignment: .right)
            x += columns.speed + 1
        }
        if columns.eta > 0 {
            let left = rate.flatMap { $0 > 0 ? Double(max(0, job.size - job.sent)) / $0 : nil }
            canvas.field(uploading ? Format.duration(left) : "", row: row, column: x, width: columns.eta,
                         role: highlight ?? .queueDetail, alignment: .right)
            x += columns.eta + 1
        }
        canvas.field(job.status(at: now), row: row, column: x, width: column + width - x,
                     role: highlight ?? stateRole(job, now: now))
    }

    static func stateRole(_ job: JobRow, now: Duration) -> ThemeRole {
        switch job.state {
        case .queued: return .queueStateQueued
        case .uploading: return job.isStalled(at: now) ? .queueStateRetrying : .queueStateActive
        case .creating, .verifying, .completing: return .queueStateActive
        case .retrying: return .queueStateRetrying
        case .done: return .queueStateDone
        case .failed: return .queueStateFailed
        case .cancelled: return .queueStateCancelled
        }
    }
}
