/// A key press, decoded from what ncurses reports, plus the two things that arrive the same
/// way: a terminal resize and a trapped signal.
public enum Key: Sendable, Hashable {
    case up, down, left, right
    case home, end, pageUp, pageDown
    case enter, backspace, delete, tab, backTab, escape
    /// A printable character, any script (UTF-8 decoded by ncurses).
    case character(Character)
    /// A control chord, as the lowercase letter: `.control("c")` is Ctrl-C. Only seen when
    /// the terminal does not turn the chord into a signal.
    case control(Character)
    /// F1–F63.
    case function(Int)
    /// The terminal changed size; ``Screen/size`` already has the new size.
    case resize
    /// A signal the screen was asked to trap arrived. Not a key: the app should leave its
    /// state consistent and exit with ``TerminalSignal/exitStatus``.
    case signal(TerminalSignal)

    /// Ctrl-C as a key.
    public static let ctrlC = Key.control("c")
}

extension Key: CustomStringConvertible {
    /// A short human name, as a help screen shows it: `↑`-free ASCII such as `Up`, `Ctrl-C`.
    public var description: String {
        switch self {
        case .up: return "Up"
        case .down: return "Down"
        case .left: return "Left"
        case .right: return "Right"
        case .home: return "Home"
        case .end: return "End"
        case .pageUp: return "PgUp"
        case .pageDown: return "PgDn"
        case .enter: return "Enter"
        case .backspace: return "Backspace"
        case .delete: return "Delete"
        case .tab: return "Tab"
        case .backTab: return "Shift-Tab"
        case .escape: return "Esc"
        case .character(" "): return "Space"
        case .character(let character): return String(character)
        case .control(let letter): return "Ctrl-" + String(letter).uppercased()
        case .function(let number): return "F\(number)"
        case .resize: return "<resize>"
        case .signal(let signal): return "<\(signal)>"
        }
    }
}
