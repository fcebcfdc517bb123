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

    /// `text` with every character outside printable ASCII replaced by `?`, one cell
    /// each: in a non-UTF-8 locale the terminal would show raw bytes or misplace them.
    public static func ascii(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.isASCII ? $0 : "?" }))
    }
}
