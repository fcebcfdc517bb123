import Foundation
import TOMLKit

/// The contents of `config.toml`: a default profile name and the profiles.
public struct HoistConfig: Sendable, Equatable {
    public var defaultProfile: String?
    public var profiles: [String: Profile]
    /// The TUI theme name (`theme = "mono"`), read here so both front ends share one file.
    public var theme: String?
    /// `background = false`: `hoist` and `hoist upload` run the engine in their own
    /// process, as `--foreground` does (nil: the default, a background engine).
    public var background: Bool?
    /// `engine_idle_exit = 300`: seconds a background engine with no client and nothing
    /// to do waits before it exits.
    public var engineIdleExit: Int?

    public init(defaultProfile: String? = nil, profiles: [String: Profile] = [:], theme: String? = nil) {
        self.defaultProfile = defaultProfile
        self.profiles = profiles
        self.theme = theme
    }

    private struct File: Decodable {
        var default_profile: String?
        var theme: String?
        var background: Bool?
        var engine_idle_exit: Int?
        var profiles: [String: Entry]?
    }

    private struct Entry: Decodable {
        var dialect: String
        var endpoint: String
        var api_key_env: String?
        var purpose: String?
        var pid: Int?
        var temporary: Bool?
    }

    /// Parses TOML text; errors name the problem, never echo values.
    public init(toml: String) throws(EngineError) {
        let file: File
        do {
            file = try TOMLDecoder().decode(File.self, from: toml)
        } catch {
            throw .config("config.toml: \(error)")
        }
        var profiles: [String: Profile] = [:]
        for (name, entry) in file.profiles ?? [:] {
            guard let dialect = Dialect(rawValue: entry.dialect.lowercased()) else {
                throw .config("profile \(name): dialect must be lightfield or luw, not \(entry.dialect)")
            }
            profiles[name] = Profile(
                name: name, dialect: dialect, endpoint: entry.endpoint, apiKeyEnv: entry.api_key_env,
                purpose: entry.purpose, pid: entry.pid, temporary: entry.temporary ?? false)
        }
        if let wanted = file.default_profile, profiles[wanted] == nil {
            throw .config("default_profile \(wanted) is not defined under [profiles]")
        }
        if let idle = file.engine_idle_exit, idle < 1 || idle > 604_800 {
            throw .config("engine_idle_exit must be between 1 and 604800 seconds, not \(idle)")
        }
        self.init(defaultProfile: file.default_profile, profiles: profiles, theme: file.theme)
        background = file.background
        engineIdleExit = file.engine_idle_exit
    }

    /// Loads `path`; a missing file is an empty configuration.
    public static func load(path: String) throws(EngineError) -> HoistConfig {
        guard FileManager.default.fileExists(atPath: path) else { return HoistConfig() }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .config("cannot read \(path): \(error.localizedDescription)")
        }
        return try HoistConfig(toml: text)
    }
}
