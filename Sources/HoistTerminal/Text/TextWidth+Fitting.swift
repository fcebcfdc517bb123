extension TextWidth {
    /// Where text is cut when it does not fit.
    public enum Truncation: Sendable, Hashable {
        /// Keep the start: `long_file_na…`.
        case end
        /// Keep both ends, which keeps file extensions visible: `long_fi…me.txt`.
        case middle
    }

    /// Where text sits when padded to a width.
    public enum Alignment: Sendable, Hashable {
        case left, right, center
    }

    /// The text cut to at most `width` cells, marking the cut with `ellipsis`.
    ///
    /// Text that fits is returned unchanged. A wide character never straddles the limit:
    /// the result may be one cell short instead. If even the ellipsis does not fit, the
    /// text is cut without it.
    public static func truncate(
        _ text: String, to width: Int, ellipsis: String = "…", at truncation: Truncation = .end
    ) -> String {
        guard width > 0 else { return "" }
        if self.width(of: text) <= width { return text }
        let ellipsisWidth = self.width(of: ellipsis)
        guard ellipsisWidth <= width else { return prefix(of: text, width: width) }
        let room = width - ellipsisWidth
        switch truncation {
        case .end:
            return prefix(of: text, width: room) + ellipsis
        case .middle:
            let head = prefix(of: text, width: room - room / 2)
            let tail = suffix(of: text, width: room / 2)
            return head + ellipsis + tail
        }
    }

    /// The text made exactly `width` cells wide: truncated if longer, padded with spaces
    /// if shorter. This is what a table cell or a status field wants.
    public static func fit(
        _ text: String, to width: Int, alignment: Alignment = .left,
        ellipsis: String = "…", truncation: Truncation = .end
    ) -> String {
        let cut = truncate(text, to: width, ellipsis: ellipsis, at: truncation)
        return pad(cut, to: width, alignment: alignment)
    }

    /// The text padded with spaces to at least `width` cells; longer text is unchanged.
    public static func pad(_ text: String, to width: Int, alignment: Alignment = .left) -> String {
        let missing = width - self.width(of: text)
        guard missing > 0 else { return text }
        switch alignment {
        case .left:
            return text + String(repeating: " ", count: missing)
        case .right:
            return String(repeating: " ", count: missing) + text
        case .center:
            let left = missing / 2
            return String(repeating: " ", count: left) + text + String(repeating: " ", count: missing - left)
        }
    }

    /// The longest start of `text` no wider than `width` cells.
    public static func prefix(of text: String, width: Int) -> String {
        var used = 0
        var end = text.startIndex
        for index in text.indices {
            let cells = self.width(of: text[index])
            if used + cells > width { break }
            used += cells
            end = text.index(after: index)
        }
        return String(text[..<end])
    }

    /// The longest end of `text` no wider than `width` cells.
    public static func suffix(of text: String, width: Int) -> String {
        var used = 0
        var start = text.endIndex
        while start > text.startIndex {
            let previous = text.index(before: start)
            let cells = self.width(of: text[previous])
            if used + cells > width { break }
            used += cells
            start = previous
        }
        return String(text[start...])
    }
}
