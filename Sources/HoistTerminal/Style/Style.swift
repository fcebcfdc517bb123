/// How a run of text looks: foreground, background and attributes. Carries no meaning;
/// themes map semantic roles to styles.
public struct Style: Sendable, Hashable {
    /// Text attributes that terminals can combine.
    public struct Attributes: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        public static let bold = Attributes(rawValue: 1 << 0)
        public static let dim = Attributes(rawValue: 1 << 1)
        public static let reverse = Attributes(rawValue: 1 << 2)
        public static let underline = Attributes(rawValue: 1 << 3)

        /// Theme-file spellings, in a stable order.
        public static let names: [(String, Attributes)] = [
            ("bold", .bold), ("dim", .dim), ("reverse", .reverse), ("underline", .underline),
        ]
    }

    /// Text colour.
    public var foreground: Color
    /// Cell background colour.
    public var background: Color
    /// Bold, dim, reverse, underline.
    public var attributes: Attributes

    /// Creates a style; everything defaults to the terminal's own look.
    public init(foreground: Color = .default, background: Color = .default, attributes: Attributes = []) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }

    /// The terminal's default look.
    public static let plain = Style()

    /// The same style with colours reduced to what `depth` can show.
    public func downsampled(to depth: ColorDepth) -> Style {
        Style(
            foreground: foreground.downsampled(to: depth),
            background: background.downsampled(to: depth),
            attributes: attributes
        )
    }
}
