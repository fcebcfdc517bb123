import Foundation

/// Finds themes by name in a list of directories and loads them.
///
/// `NAME` is looked up as `NAME.toml` in each directory of ``searchPath`` in turn; the first
/// found wins, so a user's `~/.config/hoist/themes/default.toml` replaces the bundled one.
/// `default` and `mono` are also built in, so they work with no theme files at all.
public struct ThemeLoader: Sendable {
    /// Directories searched, in order.
    public var searchPath: [String]

    /// A loader searching `searchPath` in order.
    public init(searchPath: [String]) {
        self.searchPath = searchPath
    }

    /// The usual search path: the user's `$XDG_CONFIG_HOME/hoist/themes` (or
    /// `~/.config/hoist/themes`), then `bundled` (the `themes/` directories shipped with
    /// hoist, which the caller knows how to find).
    public static func searchPath(environment: [String: String], bundled: [String]) -> [String] {
        var directories: [String] = []
        if let config = environment["XDG_CONFIG_HOME"], !config.isEmpty {
            directories.append(config + "/hoist/themes")
        } else if let home = environment["HOME"], !home.isEmpty {
            directories.append(home + "/.config/hoist/themes")
        }
        return directories + bundled
    }

    /// The theme to use: the one the user asked for (`--theme`, or `theme =` in the config)
    /// if any; otherwise `mono` when `NO_COLOR` is set to anything non-empty, else `default`.
    ///
    /// An explicit choice wins over `NO_COLOR`, as no-color.org asks of user-level settings.
    public func resolve(requested: String?, environment: [String: String]) throws(ThemeError) -> Theme {
        if let requested { return try load(requested) }
        let noColor = environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        return try load(noColor ? "mono" : "default")
    }

    /// Loads a theme by name, or from a file if `name` contains `/` or ends in `.toml`.
    public func load(_ name: String) throws(ThemeError) -> Theme {
        if name.contains("/") || name.hasSuffix(".toml") {
            return try loadFile(name, name: name)
        }
        guard Self.isValidName(name) else { throw .invalidName(name) }
        for directory in searchPath {
            let file = directory + "/" + name + ".toml"
            if FileManager.default.fileExists(atPath: file) {
                return try loadFile(file, name: name)
            }
        }
        switch name {
        case "default": return .default
        case "mono": return .mono
        default: throw .unknownTheme(name, searched: searchPath, available: availableThemes())
        }
    }

    /// Theme names found in the search path plus the built-in ones, sorted, without repeats.
    public func availableThemes() -> [String] {
        var names: Set<String> = ["default", "mono"]
        for directory in searchPath {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for file in files where file.hasSuffix(".toml") {
                names.insert(String(file.dropLast(".toml".count)))
            }
        }
        return names.sorted()
    }

    private func loadFile(_ file: String, name: String) throws(ThemeError) -> Theme {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            let reason = FileManager.default.fileExists(atPath: file) ? "not readable UTF-8 text" : "no such file"
            throw .unreadable(file: file, reason: reason)
        }
        return try ThemeParser.parse(text, name: name, file: file)
    }

    /// Letters, digits, `-`, `_` and `.`, not starting with a dot: a file name, never a path.
    private static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".")
            && name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)) }
    }
}
