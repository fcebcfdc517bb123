/// How many colours a terminal can show, as far as hoist cares.
public enum ColorDepth: Sendable, Hashable, Comparable, CaseIterable {
    /// No colours at all: only attributes (bold, reverse…) distinguish things.
    case monochrome
    /// The 8 basic colours.
    case ansi8
    /// The 8 basic colours and their bright variants.
    case ansi16
    /// xterm's 256-colour palette.
    case xterm256

    /// The depth for a terminal reporting `count` colours (ncurses' `COLORS`).
    ///
    /// Direct-colour terminals (`COLORS` = 2²⁴) read colour numbers above 7 as RGB values,
    /// so palette indices would come out wrong there; they are treated as 8-colour.
    public init(colorCount count: Int) {
        switch count {
        case 256..<0x100_0000: self = .xterm256
        case 16..<256: self = .ansi16
        case 8...: self = .ansi8
        default: self = .monochrome
        }
    }

    /// Number of palette entries usable at this depth.
    public var paletteSize: Int {
        switch self {
        case .monochrome: return 0
        case .ansi8: return 8
        case .ansi16: return 16
        case .xterm256: return 256
        }
    }
}
