/// A terminal colour, free of meaning: the theme gives colours their roles.
///
/// The 16 named colours are `indexed(0...15)`; `rgb` is downsampled to what the terminal
/// supports when drawn (see ``downsampled(to:)``).
public enum Color: Sendable, Hashable {
    /// The terminal's own foreground or background colour.
    case `default`
    /// A palette index: 0–7 the basic colours, 8–15 their bright variants, 16–255 xterm's
    /// colour cube and grey ramp.
    case indexed(UInt8)
    /// A 24-bit colour, written `#rrggbb` in theme files.
    case rgb(red: UInt8, green: UInt8, blue: UInt8)

    /// The names of palette entries 0–7, in order; `bright-` prefixes give 8–15.
    public static let basicNames = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]

    public static let black = Color.indexed(0)
    public static let red = Color.indexed(1)
    public static let green = Color.indexed(2)
    public static let yellow = Color.indexed(3)
    public static let blue = Color.indexed(4)
    public static let magenta = Color.indexed(5)
    public static let cyan = Color.indexed(6)
    public static let white = Color.indexed(7)
    public static let brightBlack = Color.indexed(8)
    public static let brightRed = Color.indexed(9)
    public static let brightGreen = Color.indexed(10)
    public static let brightYellow = Color.indexed(11)
    public static let brightBlue = Color.indexed(12)
    public static let brightMagenta = Color.indexed(13)
    public static let brightCyan = Color.indexed(14)
    public static let brightWhite = Color.indexed(15)
}

extension Color: CustomStringConvertible {
    /// The spelling a theme file would use for this colour.
    public var description: String {
        switch self {
        case .default:
            return "default"
        case .indexed(let index) where index < 8:
            return Color.basicNames[Int(index)]
        case .indexed(let index) where index < 16:
            return "bright-" + Color.basicNames[Int(index) - 8]
        case .indexed(let index):
            return String(index)
        case .rgb(let red, let green, let blue):
            return "#" + [red, green, blue].map(Color.hexByte).joined()
        }
    }

    private static func hexByte(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }
}
