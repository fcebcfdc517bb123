import Foundation
import TOMLKit

/// The contents of `config.toml`: a default profile name and the profiles.
public struct HoistConfig: Sendable, Equatable {
    public var defaultProfile: String?
    public var profiles: [String: Profile]
    /// The TUI theme name (`theme = "mono"`), read here so both front ends share one file.
    public var theme: String?

    public init(defaultProfile: String? = nil, profiles: [String: Profile] = [:], theme: String? = nil) {
        self.defaultProfile = defaultProfile
        self.profiles = profiles
        self.theme = theme
    }

    private struct File: Decodable {
        var default_profile: String?
        var theme: String?
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
        self.init(defaultProfile: file.default_profile, profiles: profiles, theme: file.theme)
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
