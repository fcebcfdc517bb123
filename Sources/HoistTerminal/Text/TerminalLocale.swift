import CNCurses
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the process's locale lets the terminal show.
public enum TerminalLocale {
    /// Whether the character encoding of the locale the environment selects is UTF-8.
    /// Sets the process locale from the environment first, as curses needs anyway.
    public static var isUTF8: Bool {
        _ = cncurses_set_locale()
        guard let codeset = nl_langinfo(nl_item(CODESET)) else { return false }
        let name = String(cString: codeset).lowercased()
        return name == "utf-8" || name == "utf8"
    }

    /// `text` with every character outside ASCII replaced by as many `?` as the cells it
    /// takes: in a non-UTF-8 locale the terminal would show raw bytes or misplace them, and
    /// the layout (fields, cuts, the `~` at a cut) was measured on the characters' widths.
    /// One `?` per scalar put a wide character in one cell and a combining accent in one
    /// more, and every cell after it moved. hoist's own marks are ASCII already there
    /// (``Glyphs/separator`` and its kin): a look-alike here would make `a·b.txt` read as
    /// `a-b.txt`, another file.
    public static func ascii(_ text: String) -> String {
        var shown = ""
        shown.reserveCapacity(text.utf8.count)
        for character in text {
            if character.isASCII {
                shown.append(character)
            } else {
                shown += String(repeating: "?", count: TextWidth.width(of: character))
            }
        }
        return shown
    }
}
