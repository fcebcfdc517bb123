import CNCurses

extension CursesScreen {
    public var size: Size {
        state.withLock { state in
            // After close() the window is freed: a closed screen has no cells.
            guard state.screen != nil else { return Size(rows: 0, columns: 0) }
            return Size(rows: Int(cncurses_getmaxy(state.window)), columns: Int(cncurses_getmaxx(state.window)))
        }
    }

    /// Erases the window's buffer only; what the terminal shows changes at ``endFrame()``.
    public func beginFrame() {
        state.withLock { state in
            guard state.screen != nil else { return }
            werase(state.window)
        }
    }

    @discardableResult
    public func draw(_ text: String, row: Int, column: Int, width: Int?, style: Style) -> Int {
        state.withLock { state in
            let window = state.window
            guard state.screen != nil, (0..<Int(cncurses_getmaxy(window))).contains(row) else { return 0 }
            let limit = DisplayRun.limit(column: column, width: width, columns: Int(cncurses_getmaxx(window)))
            let shown = state.asciiOnly ? TerminalLocale.ascii(text) : text
            let clusters = DisplayRun.layout(shown, column: column, limit: limit).filter { $0.column >= 0 }
            guard !clusters.isEmpty else { return 0 }
            var attributes = style.attributes
            // A terminal without colours (vt100) cannot show a highlighted background: the
            // selection and bars would vanish, so a coloured background becomes reverse video.
            if state.pairs.depth == .monochrome, style.background != .default { attributes.insert(.reverse) }
            _ = cncurses_wattr_set(window, ColorPairs.attributes(attributes), state.pairs.pair(for: style))
            // One call per cluster at the column we measured: should ncurses' idea of a
            // character's width differ from ours, only that cell is off, never the rest of the row.
            for cluster in clusters {
                let wide = cluster.text.unicodeScalars.map { wchar_t(bitPattern: $0.value) }
                wmove(window, Int32(row), Int32(cluster.column))
                // Writing the bottom-right cell reports ERR (the cursor cannot advance) but
                // the cell is written; nothing to handle.
                _ = waddnwstr(window, wide, Int32(wide.count))
            }
            return clusters.reduce(0) { $0 + $1.width }
        }
    }

    public func fill(_ rect: Rect, style: Style) {
        let area = rect.intersection(Rect(size))
        guard !area.isEmpty else { return }
        let blank = String(repeating: " ", count: area.columns)
        for row in area.row..<(area.row + area.rows) {
            draw(blank, row: row, column: area.column, width: area.columns, style: style)
        }
    }

    /// Copies the window to ncurses' virtual screen and sends the difference: the one
    /// `doupdate` of the frame.
    public func endFrame() {
        state.withLock { state in
            guard state.screen != nil else { return }
            wnoutrefresh(state.window)
            doupdate()
        }
    }
}
