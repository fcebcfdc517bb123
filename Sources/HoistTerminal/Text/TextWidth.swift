/// Display width of text in terminal cells, without relying on the C locale.
///
/// The rules follow glibc's `wcwidth` (which ncurses uses to place characters), so a layout
/// measured here matches what ncurses draws: combining marks and format characters take no
/// cell, East Asian wide/fullwidth characters and emoji take two, everything else one.
/// Control characters are never sent to the terminal: they show as `?` (see
/// ``displayed(_:)``), so they count as one cell.
public enum TextWidth: Sendable {
    /// Cells taken by one Unicode scalar when it is drawn after a base character.
    public static func width(of scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        if value < 0x20 || (0x7F..<0xA0).contains(value) { return 1 }
        if value < 0x300 { return 1 }
        if isZeroWidth(scalar) { return 0 }
        return isWide(value, scalar.properties) ? 2 : 1
    }

    /// Cells taken by one grapheme cluster as ncurses would draw it.
    public static func width(of character: Character) -> Int {
        if isControl(character) { return 1 }
        return character.unicodeScalars.reduce(0) { $0 + width(of: $1) }
    }

    /// Cells taken by a string.
    public static func width(of text: some StringProtocol) -> Int {
        text.reduce(0) { $0 + width(of: $1) }
    }

    /// What is actually sent to the terminal for a character: control characters (which
    /// would move the cursor or start an escape sequence) become `?`.
    public static func displayed(_ character: Character) -> Character {
        isControl(character) ? "?" : character
    }

    private static func isControl(_ character: Character) -> Bool {
        character.unicodeScalars.contains { $0.value < 0x20 || (0x7F..<0xA0).contains($0.value) }
    }

    private static func isZeroWidth(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value == 0xAD { return false }  // soft hyphen: glibc gives it a cell
        if (0x1160...0x11FF).contains(value) { return true }  // Hangul medial vowels, finals
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return true
        default: return false
        }
    }

    private static func isWide(_ value: UInt32, _ properties: Unicode.Scalar.Properties) -> Bool {
        // Regional indicators are emoji but narrow: a flag is two of them, two cells in all.
        if (0x1F1E6...0x1F1FF).contains(value) { return false }
        if properties.isEmojiPresentation { return true }
        return wideRanges.contains { $0.contains(value) }
    }

    /// East Asian Wide and Fullwidth blocks (Unicode 15), beyond emoji.
    private static let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x2329...0x232A, 0x2E80...0x303E, 0x3041...0x33FF,
        0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF, 0xA960...0xA97F,
        0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F,
        0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x16FE0...0x16FE4, 0x17000...0x18CFF,
        0x1B000...0x1B2FF, 0x1F200...0x1F2FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD,
    ]
}
