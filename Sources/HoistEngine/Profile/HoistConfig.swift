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
    /// `engine_list_done = 1000`: how many completed jobs a background engine lists whole to
    /// a client that attaches (`hoist jobs`, a new `hoist`); older ones are counted.
    public var engineListDone: Int?

    /// The range `engine_list_done` and `hoist engine --list-done` accept.
    public static let listDoneRange = 0...1_000_000

    public init(defaultProfile: String? = nil, profiles: [String: Profile] = [:], theme: String? = nil) {
        self.defaultProfile = defaultProfile
        self.profiles = profiles
        self.theme = theme
    }

    // File's and Entry's fields are the keys ``ConfigKeys`` lets through, with the same
    // types: a field added here without it there is refused as an unknown key.
    private struct File: Decodable {
        var default_profile: String?
        var theme: String?
        var background: Bool?
        var engine_idle_exit: Int?
        var engine_list_done: Int?
        var profiles: [String: Entry]?
    }

    private struct Entry: Decodable {
        var dialect: String
        var endpoint: String?
        var api_key_env: String?
        var purpose: String?
        var pid: Int?
        var temporary: Bool?
        var bucket: String?
        var region: String?
        var prefix: String?
        var path_style: Bool?
        var no_clobber: Bool?
        var multipart_threshold: Int64?
    }

    /// Parses TOML text; errors name the problem, never echo values.
    public init(toml: String) throws(EngineError) {
        try ConfigKeys.check(toml)
        let file: File
        do {
            file = try TOMLDecoder().decode(File.self, from: toml)
        } catch {
            throw .config("config.toml: \(error)")
        }
        var profiles: [String: Profile] = [:]
        for (name, entry) in file.profiles ?? [:] {
            guard let dialect = Dialect(rawValue: entry.dialect.lowercased()) else {
                throw .config("profile \(name): dialect must be lightfield, luw or s3, not \(entry.dialect)")
            }
            var profile = Profile(
                name: name, dialect: dialect, endpoint: entry.endpoint ?? "", apiKeyEnv: entry.api_key_env,
                purpose: entry.purpose, pid: entry.pid, temporary: entry.temporary ?? false)
            profile.noClobber = entry.no_clobber ?? false
            if dialect == .s3 {
                guard let bucket = entry.bucket else { throw .config("profile \(name): the s3 dialect needs bucket") }
                profile.s3 = S3Settings(
                    bucket: bucket, region: entry.region, prefix: entry.prefix ?? "", pathStyle: entry.path_style ?? false,
                    multipartThreshold: entry.multipart_threshold ?? S3Settings.defaultMultipartThreshold)
            } else if entry.endpoint == nil {
                throw .config("profile \(name): endpoint is required")
            }
            profiles[name] = profile
        }
        if let wanted = file.default_profile, profiles[wanted] == nil {
            throw .config("default_profile \(wanted) is not defined under [profiles]")
        }
        if let idle = file.engine_idle_exit, idle < 1 || idle > 604_800 {
            throw .config("engine_idle_exit must be between 1 and 604800 seconds, not \(idle)")
        }
        if let listed = file.engine_list_done, !Self.listDoneRange.contains(listed) {
            throw .config("engine_list_done must be between 0 and 1000000 jobs, not \(listed)")
        }
        self.init(defaultProfile: file.default_profile, profiles: profiles, theme: file.theme)
        background = file.background
        engineIdleExit = file.engine_idle_exit
        engineListDone = file.engine_list_done
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
