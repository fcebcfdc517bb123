/// Why the terminal could not be set up.
public struct TerminalError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: Equatable, Sendable {
        case notATerminal
        case unknownTerminal(String?)
        case alreadyActive
        case dumbTerminal
    }

    private let code: Code

    /// Standard input or output is not a terminal (hoist was piped or redirected).
    public static let notATerminal = TerminalError(code: .notATerminal)

    /// ncurses has no description for the terminal type in `TERM`.
    public static func unknownTerminal(_ type: String?) -> TerminalError {
        TerminalError(code: .unknownTerminal(type))
    }

    /// `TERM=dumb`: a terminal without cursor addressing, which a full-screen view needs.
    public static let dumbTerminal = TerminalError(code: .dumbTerminal)

    /// A curses screen is already open; ncurses supports one at a time here.
    public static let alreadyActive = TerminalError(code: .alreadyActive)

    public var description: String {
        switch code {
        case .notATerminal:
            return "not a terminal: hoist's interface needs its input and output on a terminal"
        case .unknownTerminal(let type?):
            return "unknown terminal type '\(type)': set TERM to one the terminfo database knows (e.g. xterm-256color)"
        case .unknownTerminal(nil):
            return "TERM is not set: set it to your terminal type (e.g. xterm-256color)"
        case .alreadyActive:
            return "a terminal screen is already open"
        case .dumbTerminal:
            return "TERM=dumb cannot show a full-screen interface"
        }
    }
}
