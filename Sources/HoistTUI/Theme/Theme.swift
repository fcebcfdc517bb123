import HoistTerminal

/// Styles for every ``ThemeRole``: what panes draw with.
///
/// A theme always has a style for every role: roles a theme file leaves out come from the
/// built-in ``default``.
public struct Theme: Sendable, Hashable {
    /// The theme's name (`default`, `light`…), or the file it came from.
    public let name: String
    private let styles: [ThemeRole: Style]

    /// A theme from explicit styles; missing roles take the built-in default's style.
    public init(name: String, styles: [ThemeRole: Style]) {
        self.name = name
        self.styles = styles
    }

    /// The style for a role.
    public subscript(role: ThemeRole) -> Style {
        styles[role] ?? Theme.builtinDefaultStyles[role] ?? .plain
    }

    /// Whether the theme itself defines `role` (rather than falling back to the default).
    public func defines(_ role: ThemeRole) -> Bool {
        styles[role] != nil
    }
}
