/// Where hoist keeps its files, following the XDG base directory specification.
public struct XDGPaths: Sendable, Equatable {
    public var configHome: String
    public var stateHome: String
    public var dataHome: String

    /// Resolves the three homes from `environment` (`$XDG_*_HOME`, else under `$HOME`).
    public init(environment: [String: String]) {
        let home = environment["HOME"] ?? "/tmp"
        func pick(_ variable: String, _ fallback: String) -> String {
            if let value = environment[variable], value.hasPrefix("/") { return value }
            return home + "/" + fallback
        }
        configHome = pick("XDG_CONFIG_HOME", ".config")
        stateHome = pick("XDG_STATE_HOME", ".local/state")
        dataHome = pick("XDG_DATA_HOME", ".local/share")
    }

    /// `$XDG_CONFIG_HOME/hoist/config.toml`.
    public var configFile: String { configHome + "/hoist/config.toml" }
    /// `$XDG_STATE_HOME/hoist`: the journal lives here.
    public var stateDirectory: String { stateHome + "/hoist" }
    /// `$XDG_DATA_HOME/hoist`: the embedded server's data.
    public var dataDirectory: String { dataHome + "/hoist" }
}
