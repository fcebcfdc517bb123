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
        let sizeWidth = 9
        for (line, index) in (browser.offset..<min(entries.count, browser.offset + inner.rows)).enumerated() {
            let entry = entries[index]
            let row = inner.row + line
            let selected = index == browser.cursor
            if selected { canvas.fill(Rect(row: row, column: inner.column, rows: 1, columns: inner.columns), role: focused ? .selection : .selectionInactive) }
            let marked = browser.marks.contains(entry.path)
            canvas.field(marked ? canvas.glyphs.mark : " ", row: row, column: inner.column, width: 2,
                         role: selected ? (focused ? .selection : .selectionInactive) : .browserMark)
            let nameWidth = inner.columns - 2 - sizeWidth - 1
            let role: ThemeRole = selected ? (focused ? .selection : .selectionInactive)
                : entry.isDirectory ? .browserDir : entry.isSymlink ? .browserLink : entry.isHidden ? .browserHidden : .browserFile
            canvas.field(entry.name + (entry.isDirectory ? "/" : ""), row: row, column: inner.column + 2, width: nameWidth, role: role)
            canvas.field(entry.isDirectory ? "" : Format.bytes(entry.size), row: row, column: inner.column + 2 + nameWidth + 1,
                         width: sizeWidth, role: selected ? role : .browserSize, alignment: .right)
        }
    }
}
