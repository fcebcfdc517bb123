import HoistTerminal

/// The key map over the panes, generated from ``KeyMap/bindings``: the panes' keys in two
/// columns where they fit (one otherwise), then one wrapped line per modal state. Scrolls
/// when taller than the terminal.
enum HelpOverlay {
    struct Entry: Equatable {
        var keys: String
        var text: String
        var isTitle = false
    }

    enum Row: Equatable {
        /// One entry per column (nil: blank).
        case columns([Entry?])
        /// A line across the box; its first `titleWidth` cells name the modal state.
        case wide(String, titleWidth: Int)
    }

    struct Layout: Equatable {
        var rows: [Row]
        /// Per column: the keys' width and the whole column's.
        var widths: [(keys: Int, all: Int)]
        var boxWidth: Int

        static func == (a: Layout, b: Layout) -> Bool {
            a.rows == b.rows && a.boxWidth == b.boxWidth && a.widths.map(\.all) == b.widths.map(\.all)
        }
    }

    /// The help's rows at `size`. Only the keys that act in this mode are listed: `d`
    /// (leave, uploads go on) with a background engine, `k` at the quit question without one.
    /// `separator` between a mode's keys: ``Glyphs/separator``, each one three cells wide, so
    /// that the rows (and the offsets the reducer allows) are the same whichever it is.
    static func layout(_ size: Size, background: Bool = false, separator: String = Glyphs.unicode.separator) -> Layout {
        func applies(_ binding: KeyBinding) -> Bool { background ? binding.action != .keepForLater : binding.action != .detach }
        func section(_ scope: KeyScope) -> [Entry?] {
            [Entry(keys: "", text: scope.rawValue, isTitle: true)]
                + KeyMap.bindings(in: scope).filter(applies).map { Entry(keys: $0.keyNames, text: $0.help) }
        }
        func widths(_ column: [Entry?]) -> (keys: Int, all: Int) {
            let entries = column.compactMap { $0 }
            let keys = entries.filter { !$0.isTitle }.map { TextWidth.width(of: $0.keys) }.max() ?? 0
            let texts = entries.map { $0.isTitle ? TextWidth.width(of: $0.text) - keys - 1 : TextWidth.width(of: $0.text) }.max() ?? 0
            return (keys, keys + 1 + texts)
        }
        let left = section(.global)
        let right = section(.browser) + [nil] + section(.queue)
        var columns = [left, right]
        var boxWidth = columns.reduce(1) { $0 + widths($1).all + 3 }
        if boxWidth > size.columns - 4 {
            columns = [left + [nil] + right]
            boxWidth = columns.reduce(1) { $0 + widths($1).all + 3 }
        }
        var rows: [Row] = (0..<(columns.map(\.count).max() ?? 0)).map { i in
            .columns(columns.map { i < $0.count ? $0[i] : nil })
        }
        rows.append(.columns([]))
        let textWidth = max(10, min(boxWidth, size.columns - 4) - 4)
        for scope in KeyScope.allCases where scope.isModal {
            let title = scope.rawValue + ":"
            let keys = KeyMap.bindings(in: scope).filter(applies).map { "\($0.keyNames) \($0.help)" }.joined(separator: separator)
            for (i, line) in Wrap.lines(title + " " + keys, width: textWidth).enumerated() {
                rows.append(.wide(line, titleWidth: i == 0 ? TextWidth.width(of: title) : 0))
            }
        }
        return Layout(rows: rows, widths: columns.map(widths), boxWidth: boxWidth)
    }

    static func rect(_ size: Size, layout: Layout) -> Rect {
        Overlays.centered(size, rows: layout.rows.count + 2, columns: layout.boxWidth)
    }

    /// The largest useful offset at `size`.
    static func maxOffset(_ size: Size, background: Bool = false) -> Int {
        let layout = layout(size, background: background)
        return max(0, layout.rows.count - max(1, rect(size, layout: layout).rows - 2))
    }

    static func draw(_ size: Size, offset: Int, background: Bool = false, on canvas: Canvas) {
        let layout = layout(size, background: background, separator: canvas.glyphs.separator)
        let rect = rect(size, layout: layout)
        let visible = max(1, rect.rows - 2)
        let scrolls = layout.rows.count > visible
        let offset = scrolls ? min(offset, layout.rows.count - visible) : 0
        canvas.fill(rect, role: .dialog)
        let glyphs = canvas.glyphs
        canvas.box(rect, title: scrolls ? "Keys (\(glyphs.upDown) scroll, Esc closes)" : "Keys (Esc closes)",
                   footer: scrolls ? "lines \(offset + 1)\(glyphs.dash)\(offset + visible) of \(layout.rows.count)" : nil, focused: true)
        let inner = rect.columns - 4
        for (i, row) in layout.rows.dropFirst(offset).prefix(visible).enumerated() {
            let y = rect.row + 1 + i
            switch row {
            case .columns(let entries):
                var x = rect.column + 2
                for (entry, width) in zip(entries, layout.widths) {
                    defer { x += width.all + 3 }
                    guard let entry else { continue }
                    if entry.isTitle {
                        canvas.text(entry.text, row: y, column: x, width: width.all, role: .title)
                    } else {
                        canvas.field(entry.keys, row: y, column: x, width: width.keys, role: .helpKey)
                        canvas.text(entry.text, row: y, column: x + width.keys + 1, width: width.all - width.keys - 1, role: .helpText)
                    }
                }
            case .wide(let line, let titleWidth):
                let x = rect.column + 2
                let title = TextWidth.prefix(of: line, width: titleWidth)
                let used = canvas.text(title, row: y, column: x, width: inner, role: .title)
                canvas.text(String(line.dropFirst(title.count)), row: y, column: x + used, width: inner - used, role: .helpText)
            }
        }
    }
}
