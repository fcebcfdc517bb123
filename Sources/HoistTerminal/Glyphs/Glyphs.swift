/// The characters hoist draws with: Unicode in a UTF-8 locale, plain ASCII otherwise or
/// when the user asks for `--ascii`.
public struct Glyphs: Sendable, Hashable {
    /// Whether these glyphs need a UTF-8 terminal.
    public var isUnicode: Bool
    /// Lines and corners for borders and separators.
    public var box: BoxGlyphs
    /// Marks where text was cut.
    public var ellipsis: String
    /// Shown next to a marked file.
    public var mark: String
    /// Points at a directory one can open.
    public var pointer: String
    /// Filler for the finished part of a bar.
    public var barDone: String
    /// Filler for the unfinished part of a bar.
    public var barTodo: String
    /// Partial cells from one eighth up to seven eighths; empty for ASCII bars, which work
    /// in whole cells.
    public var barEighths: [String]
    /// Drawn around a bar, one cell each; empty for Unicode bars.
    public var barCaps: (open: String, close: String) {
        isUnicode ? ("", "") : ("[", "]")
    }

    /// The marks of hoist's own text, ASCII where the glyphs are (a name keeps its own
    /// characters, drawn as `?` in a locale that is not UTF-8): between fields (` · `).
    public var separator: String { isUnicode ? " · " : " - " }
    /// A range: `1–20`.
    public var dash: String { isUnicode ? "–" : "-" }
    /// The scroll keys: `↑↓`.
    public var upDown: String { isUnicode ? "↑↓" : "up/down" }
    /// A size: `80×24`.
    public var times: String { isUnicode ? "×" : "x" }
    /// From what to what: `done a.jpg → fil_1`.
    public var arrow: String { isUnicode ? "→" : "->" }
    /// Under way: `cancelling 3 pending uploads…`.
    public var more: String { isUnicode ? "…" : "..." }

    /// Block elements and box drawing.
    public static let unicode = Glyphs(
        isUnicode: true, box: .unicode, ellipsis: "…", mark: "●", pointer: "›",
        barDone: "█", barTodo: " ", barEighths: ["▏", "▎", "▍", "▌", "▋", "▊", "▉"]
    )

    /// Seven-bit ASCII only.
    public static let ascii = Glyphs(
        isUnicode: false, box: .ascii, ellipsis: "~", mark: "*", pointer: ">",
        barDone: "#", barTodo: "-", barEighths: []
    )

    /// Unicode glyphs when the locale is UTF-8 and `ascii` was not requested.
    public static func select(ascii: Bool, environment: [String: String]) -> Glyphs {
        !ascii && localeIsUTF8(environment: environment) ? .unicode : .ascii
    }

    /// Whether the locale the environment selects for character handling is UTF-8, by the
    /// POSIX precedence `LC_ALL`, then `LC_CTYPE`, then `LANG` (first non-empty wins).
    public static func localeIsUTF8(environment: [String: String]) -> Bool {
        let chosen = ["LC_ALL", "LC_CTYPE", "LANG"].lazy
            .compactMap { environment[$0] }
            .first { !$0.isEmpty }
        guard let locale = chosen?.lowercased() else { return false }
        return locale.contains("utf-8") || locale.contains("utf8")
    }
}

/// Lines and corners for boxes and separators.
public struct BoxGlyphs: Sendable, Hashable {
    public var horizontal: String
    public var vertical: String
    public var topLeft: String
    public var topRight: String
    public var bottomLeft: String
    public var bottomRight: String
    /// A vertical line with a branch to the right: `├`.
    public var teeRight: String
    /// A vertical line with a branch to the left: `┤`.
    public var teeLeft: String
    /// A horizontal line with a branch downwards: `┬`.
    public var teeDown: String
    /// A horizontal line with a branch upwards: `┴`.
    public var teeUp: String

    /// Light box-drawing characters.
    public static let unicode = BoxGlyphs(
        horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└",
        bottomRight: "┘", teeRight: "├", teeLeft: "┤", teeDown: "┬", teeUp: "┴"
    )

    /// `-`, `|` and `+`.
    public static let ascii = BoxGlyphs(
        horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+",
        bottomRight: "+", teeRight: "+", teeLeft: "+", teeDown: "+", teeUp: "+"
    )
}
