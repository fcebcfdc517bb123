/// What the command line said about the profile, before resolution.
public struct ProfileSelection: Sendable, Equatable {
    public var profile: String?
    public var endpoint: String?
    public var dialect: Dialect?
    public var apiKeyEnv: String?
    public var purpose: String?
    public var pid: Int?
    public var temporary: Bool

    public init(
        profile: String? = nil, endpoint: String? = nil, dialect: Dialect? = nil, apiKeyEnv: String? = nil,
        purpose: String? = nil, pid: Int? = nil, temporary: Bool = false
    ) {
        self.profile = profile
        self.endpoint = endpoint
        self.dialect = dialect
        self.apiKeyEnv = apiKeyEnv
        self.purpose = purpose
        self.pid = pid
        self.temporary = temporary
    }

    /// The outcome: a profile to use, or "start the embedded server".
    public enum Resolution: Sendable, Equatable {
        case profile(Profile)
        /// No profile and no endpoint anywhere: use `hoist serve`'s code in-process.
        case embedded(purpose: String?)
    }

    /// Applies the rules: `--profile` wins, then inline `--endpoint`, then `default_profile`,
    /// else the embedded server. Option flags override the profile's options.
    public func resolve(config: HoistConfig) throws(EngineError) -> Resolution {
        if profile != nil, endpoint != nil {
            throw .profile("--profile and --endpoint exclude each other")
        }
        var chosen: Profile
        if let name = profile {
            guard let found = config.profiles[name] else {
                let known = config.profiles.keys.sorted().joined(separator: ", ")
                throw .profile("no profile named \(name) (known: \(known.isEmpty ? "none" : known))")
            }
            chosen = found
        } else if let endpoint {
            guard let dialect else { throw .profile("--endpoint needs --dialect lightfield|luw") }
            guard let apiKeyEnv else { throw .profile("--endpoint needs --api-key-env VAR") }
            chosen = Profile(name: "inline", dialect: dialect, endpoint: endpoint, apiKeyEnv: apiKeyEnv)
        } else if let name = config.defaultProfile, let found = config.profiles[name] {
            chosen = found
        } else {
            if dialect != nil || apiKeyEnv != nil {
                throw .profile("--dialect and --api-key-env need --endpoint")
            }
            return .embedded(purpose: purpose)
        }
        if let purpose { chosen.purpose = purpose }
        if let pid { chosen.pid = pid }
        if temporary { chosen.temporary = true }
        if let dialect, profile != nil { chosen.dialect = dialect }
        if let apiKeyEnv, profile != nil { chosen.apiKeyEnv = apiKeyEnv }
        while chosen.endpoint.hasSuffix("/") { chosen.endpoint.removeLast() }
        return .profile(chosen)
    }
}
