import HoistTerminal

/// A screen with the theme and glyphs at hand: what panes draw through. Panes name
/// roles, never colours.
public struct Canvas {
    public let screen: any Screen
    public let theme: Theme
    public let glyphs: Glyphs

    public init(screen: any Screen, theme: Theme, glyphs: Glyphs) {
        self.screen = screen
        self.theme = theme
        self.glyphs = glyphs
    }

    /// Draws `text` within `width` cells and returns the cells used; a text longer than
    /// that is cut, and the cut marked with the ellipsis, as every cut on screen is.
    @discardableResult
    public func text(_ text: String, row: Int, column: Int, width: Int, role: ThemeRole) -> Int {
        guard width > 0 else { return 0 }
        let shown = TextWidth.width(of: text) > width ? TextWidth.fit(text, to: width, alignment: .left, ellipsis: glyphs.ellipsis) : text
        return screen.draw(shown, row: row, column: column, width: width, style: theme[role])
    }

    /// Draws `text` padded or truncated to exactly `width` cells.
    public func field(_ text: String, row: Int, column: Int, width: Int, role: ThemeRole,
                      alignment: TextWidth.Alignment = .left) {
        guard width > 0 else { return }
        screen.draw(TextWidth.fit(text, to: width, alignment: alignment, ellipsis: glyphs.ellipsis), row: row, column: column, width: width,
                    style: theme[role])
    }

    /// Draws pieces of text one after another on a row, each in its role; whatever does not
    /// fit within `width` is cut, the cut marked with the ellipsis. Returns the cells used.
    @discardableResult
    public func line(_ pieces: [(text: String, role: ThemeRole)], row: Int, column: Int, width: Int) -> Int {
        let whole = pieces.map(\.text).joined()
        let fits = TextWidth.width(of: whole) <= width
        let room = fits ? width : max(0, width - TextWidth.width(of: glyphs.ellipsis))
        var used = 0
        for piece in pieces {
            let cut = TextWidth.prefix(of: piece.text, width: room - used)
            used += text(cut, row: row, column: column + used, width: room - used, role: piece.role)
            if cut.count < piece.text.count {
                used += text(glyphs.ellipsis, row: row, column: column + used, width: width - used, role: piece.role)
                break
            }
        }
        return used
    }

    /// Fills `rect` with the look of `role`.
    public func fill(_ rect: Rect, role: ThemeRole) {
        screen.fill(rect, style: theme[role])
    }

    /// A bordered box with a title in its top edge and an optional footer in its bottom edge.
    public func box(_ rect: Rect, title: String, footer: String? = nil, focused: Bool = false) {
        guard rect.rows >= 2, rect.columns >= 2 else { return }
        let role: ThemeRole = focused ? .borderFocused : .border
        let b = glyphs.box
        let inner = rect.columns - 2
        let line = String(repeating: b.horizontal, count: inner)
        let bottom = rect.row + rect.rows - 1
        text(b.topLeft + line + b.topRight, row: rect.row, column: rect.column, width: rect.columns, role: role)
        text(b.bottomLeft + line + b.bottomRight, row: bottom, column: rect.column, width: rect.columns, role: role)
        for row in (rect.row + 1)..<bottom {
            text(b.vertical, row: row, column: rect.column, width: 1, role: role)
            text(b.vertical, row: row, column: rect.column + rect.columns - 1, width: 1, role: role)
        }
        let titleText = TextWidth.truncate(" \(title) ", to: max(0, inner - 2), ellipsis: glyphs.ellipsis, at: .middle)
        text(titleText, row: rect.row, column: rect.column + 2, width: inner - 2, role: .title)
        if let footer, !footer.isEmpty {
            text(TextWidth.truncate(" \(footer) ", to: max(0, inner - 2), ellipsis: glyphs.ellipsis), row: bottom, column: rect.column + 2,
                 width: inner - 2, role: .browserFilter)
        }
    }
}
