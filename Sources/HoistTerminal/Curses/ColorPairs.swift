import CNCurses

/// ncurses colour pairs, created the first time a style needs them.
///
/// Themes name a few dozen styles at most, far below the terminal's pair limit; if a limit
/// is reached anyway the style is drawn in the default colours rather than failing.
struct ColorPairs {
    private struct Key: Hashable {
        var foreground: Int16
        var background: Int16
    }

    let depth: ColorDepth
    /// Whether `use_default_colors` worked, so that -1 means "the terminal's own colour".
    let hasDefaultColors: Bool
    private let limit: Int
    private var assigned: [Key: Int32] = [:]

    init(depth: ColorDepth, hasDefaultColors: Bool, limit: Int) {
        self.depth = depth
        self.hasDefaultColors = hasDefaultColors
        // ncurses' init_pair takes a short; pair 0 is fixed to the default colours.
        self.limit = min(limit, Int(Int16.max))
    }

    /// The pair for a style's colours, creating it if needed.
    mutating func pair(for style: Style) -> Int32 {
        guard depth != .monochrome else { return 0 }
        let key = Key(
            foreground: number(style.foreground, fallback: 7),
            background: number(style.background, fallback: 0)
        )
        if key.foreground == -1, key.background == -1 { return 0 }
        if let pair = assigned[key] { return pair }
        let pair = Int32(assigned.count + 1)
        guard pair < limit, init_pair(Int16(pair), key.foreground, key.background) == cncurses_ok() else {
            return 0
        }
        assigned[key] = pair
        return pair
    }

    /// The attribute bits for a style's attributes.
    static func attributes(_ attributes: Style.Attributes) -> attr_t {
        var bits = attr_t(bitPattern: cncurses_a_normal())
        if attributes.contains(.bold) { bits |= attr_t(bitPattern: cncurses_a_bold()) }
        if attributes.contains(.dim) { bits |= attr_t(bitPattern: cncurses_a_dim()) }
        if attributes.contains(.reverse) { bits |= attr_t(bitPattern: cncurses_a_reverse()) }
        if attributes.contains(.underline) { bits |= attr_t(bitPattern: cncurses_a_underline()) }
        return bits
    }

    private func number(_ color: Color, fallback: Int16) -> Int16 {
        switch color.downsampled(to: depth) {
        case .indexed(let index): return Int16(index)
        case .default, .rgb: return hasDefaultColors ? -1 : fallback
        }
    }
}
