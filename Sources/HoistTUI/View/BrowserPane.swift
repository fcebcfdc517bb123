import HoistTerminal

/// The file browser: the directory in the border, entries (directories first) with marks
/// and sizes, the filter in the bottom edge.
enum BrowserPane {
    static func draw(_ state: AppState, in rect: Rect, on canvas: Canvas) {
        let browser = state.browser
        let focused = state.focus == .browser && state.overlay == nil
        var footer: String?
        if browser.isFiltering || !browser.filter.isEmpty {
            footer = "/" + browser.filter + (browser.isFiltering ? "_" : "")
        } else if !browser.marks.isEmpty {
            footer = "\(browser.marks.count) marked"
        }
        canvas.box(rect, title: Format.path(browser.directory), footer: footer, focused: focused)
        let inner = Rect(row: rect.row + 1, column: rect.column + 1, rows: rect.rows - 2, columns: rect.columns - 2)
        guard inner.rows > 0, inner.columns > 0 else { return }
        if let error = browser.error {
            canvas.text(error, row: inner.row, column: inner.column, width: inner.columns, role: .statusError)
            return
        }
        let entries = browser.visible
        if entries.isEmpty {
            let note = browser.entries.isEmpty ? "(empty)" : "(nothing matches)"
            canvas.text(note, row: inner.row, column: inner.column + 1, width: inner.columns - 1, role: .browserHidden)
            return
        }
        for (line, index) in (browser.offset..<min(entries.count, browser.offset + inner.rows)).enumerated() {
            let entry = entries[index]
            let row = inner.row + line
            let selected = index == browser.cursor
            let highlight: ThemeRole? = selected ? (focused ? .selection : .selectionInactive) : nil
            if let highlight { canvas.fill(Rect(row: row, column: inner.column, rows: 1, columns: inner.columns), role: highlight) }
            // The mark column: marked, cannot be uploaded, or uploaded here before.
            let mark: (String, ThemeRole)
            if browser.marks.contains(entry) {
                mark = (canvas.glyphs.mark, .browserMark)
            } else if entry.problem != nil {
                mark = ("!", .statusError)
            } else if state.isUploaded(entry) {
                mark = (canvas.glyphs.isUnicode ? "✓" : "=", .queueStateDone)
            } else {
                mark = (" ", .browserMark)
            }
            canvas.field(mark.0, row: row, column: inner.column, width: 2, role: highlight ?? mark.1)
            // The size column, or why the file cannot be uploaded.
            let detail = entry.problem.map(\.shortReason) ?? (entry.isDirectory ? "" : Format.bytes(entry.size))
            let detailWidth = min(max(9, TextWidth.width(of: detail)), 16)
            let nameWidth = inner.columns - 2 - detailWidth - 1
            let role: ThemeRole = highlight
                ?? (entry.isDirectory ? .browserDir : entry.isSymlink ? .browserLink : entry.isHidden ? .browserHidden : .browserFile)
            canvas.field(entry.name + (entry.isDirectory ? "/" : ""), row: row, column: inner.column + 2, width: nameWidth, role: role)
            canvas.field(detail, row: row, column: inner.column + 2 + nameWidth + 1, width: detailWidth,
                         role: highlight ?? (entry.problem != nil ? .statusError : .browserSize), alignment: .right)
        }
    }
}

extension AppState {
    /// Whether `entry` is a file uploaded to this destination before (same size, and the
    /// same modification time where the journal knows it).
    func isUploaded(_ entry: DirectoryEntry) -> Bool {
        guard !entry.isDirectory, let stamp = uploaded.stamp(for: entry), stamp.size == entry.size else { return false }
        guard let known = stamp.mtimeNanos, let mtime = entry.mtimeNanos else { return true }
        return known == mtime
    }
}
