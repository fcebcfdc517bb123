/// Why a theme could not be loaded: always names the theme or file, and the key at fault.
public struct ThemeError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: Equatable, Sendable {
        case unknownTheme(name: String, searched: [String], available: [String])
        case invalidName(String)
        case unreadable(file: String, reason: String)
        case syntax(file: String, line: Int, column: Int, message: String)
        case unknownRole(file: String, key: String)
        case badColor(file: String, key: String, value: String)
        case badModifier(file: String, key: String, value: String)
        case badValue(file: String, key: String, expected: String)
    }

    private let code: Code

    /// No `NAME.toml` in any theme directory.
    public static func unknownTheme(_ name: String, searched: [String], available: [String]) -> ThemeError {
        ThemeError(code: .unknownTheme(name: name, searched: searched, available: available))
    }

    /// A theme name that is not a plain file name.
    public static func invalidName(_ name: String) -> ThemeError { ThemeError(code: .invalidName(name)) }

    /// The file exists but cannot be read.
    public static func unreadable(file: String, reason: String) -> ThemeError {
        ThemeError(code: .unreadable(file: file, reason: reason))
    }

    /// The file is not valid TOML.
    public static func syntax(file: String, line: Int, column: Int, message: String) -> ThemeError {
        ThemeError(code: .syntax(file: file, line: line, column: column, message: message))
    }

    /// A key that is neither `palette` nor a role.
    public static func unknownRole(file: String, key: String) -> ThemeError {
        ThemeError(code: .unknownRole(file: file, key: key))
    }

    /// A value that is not a colour or palette name.
    public static func badColor(file: String, key: String, value: String) -> ThemeError {
        ThemeError(code: .badColor(file: file, key: key, value: value))
    }

    /// A modifier other than bold, dim, reverse, underline.
    public static func badModifier(file: String, key: String, value: String) -> ThemeError {
        ThemeError(code: .badModifier(file: file, key: key, value: value))
    }

    /// A value of the wrong TOML type.
    public static func badValue(file: String, key: String, expected: String) -> ThemeError {
        ThemeError(code: .badValue(file: file, key: key, expected: expected))
    }

    public var description: String {
        switch code {
        case .unknownTheme(let name, let searched, let available):
            let list = available.isEmpty ? "none" : available.joined(separator: ", ")
            return "unknown theme '\(name)': no \(name).toml in \(searched.joined(separator: ", ")) (available: \(list))"
        case .invalidName(let name):
            return "invalid theme name '\(name)': use a name like 'light' or a path ending in .toml"
        case .unreadable(let file, let reason):
            return "\(file): cannot read theme: \(reason)"
        case .syntax(let file, let line, let column, let message):
            return "\(file):\(line):\(column): invalid TOML: \(message)"
        case .unknownRole(let file, let key):
            return "\(file): unknown role '\(key)' (themes/default.toml lists every role)"
        case .badColor(let file, let key, let value):
            return "\(file): \(key): '\(value)' is not a colour (use a palette name, one of the 16 colour names, 0-255, #rrggbb or default)"
        case .badModifier(let file, let key, let value):
            return "\(file): \(key): unknown modifier '\(value)' (use bold, dim, reverse, underline)"
        case .badValue(let file, let key, let expected):
            return "\(file): \(key): expected \(expected)"
        }
    }
}
