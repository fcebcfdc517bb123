/// One grapheme cluster ready to be put in cells: what to send and how many cells it takes.
struct DisplayCluster: Equatable {
    var text: String
    var width: Int
    var column: Int
}

/// Lays text out in cells for both screens, so the grid in tests clips exactly like the
/// terminal does.
enum DisplayRun {
    /// The clusters of `text` placed from `column` within `limit` cells; zero-width clusters
    /// (a lone combining mark) are dropped, since ncurses would glue them onto whatever cell
    /// precedes the text.
    static func layout(_ text: String, column: Int, limit: Int) -> [DisplayCluster] {
        var clusters: [DisplayCluster] = []
        var used = 0
        for character in text {
            let shown = TextWidth.displayed(character)
            let width = TextWidth.width(of: shown)
            if width == 0 { continue }
            if used + width > limit { break }
            clusters.append(DisplayCluster(text: String(shown), width: width, column: column + used))
            used += width
        }
        return clusters
    }

    /// The number of cells available from `column` on a row of `columns`, given an optional
    /// requested width.
    static func limit(column: Int, width: Int?, columns: Int) -> Int {
        let edge = columns - column
        return max(0, min(edge, width ?? edge))
    }
}
