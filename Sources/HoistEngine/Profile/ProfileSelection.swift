import SigV4
import Foundation

/// What the command line said about the profile, before resolution.
public struct ProfileSelection: Sendable, Equatable {
    public var profile: String?
    public var endpoint: String?
    public var dialect: Dialect?
    public var apiKeyEnv: String?
    public var purpose: String?
    public var pid: Int?
    public var temporary: Bool
    /// S3: the bucket, region, prefix and addressing given on the command line.
    public var bucket: String?
    public var region: String?
    public var prefix: String?
    public var pathStyle = false
    public var noClobber = false
    public var multipartThreshold: Int64?
    /// `--part-jobs`, when given: a transfer flag, but one of the s3 dialect's multipart
    /// uploads, held to the dialect as the others are.
    public var partJobs: Int?

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
    /// In the s3 dialect a profile without a region takes the AWS one from `environment`
    /// (``AWSCredentialChain/region()``).
    public func resolve(config: HoistConfig, environment: [String: String] = ProcessInfo.processInfo.environment) throws(EngineError) -> Resolution {
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
        } else if dialect == .s3 {
            guard let bucket else { throw .profile("--dialect s3 needs --bucket") }
            chosen = Profile(name: "inline", dialect: .s3, endpoint: endpoint ?? "", apiKeyEnv: nil)
            chosen.s3 = S3Settings(bucket: bucket)
        } else if let endpoint {
            guard let dialect else { throw .profile("--endpoint needs --dialect lightfield|luw|s3") }
            guard let apiKeyEnv else { throw .profile("--endpoint needs --api-key-env VAR") }
            chosen = Profile(name: "inline", dialect: dialect, endpoint: endpoint, apiKeyEnv: apiKeyEnv)
        } else if let name = config.defaultProfile, let found = config.profiles[name] {
            chosen = found
        } else {
            if dialect != nil || apiKeyEnv != nil {
                throw .profile("--dialect and --api-key-env need --endpoint")
            }
            // The embedded server is spoken to in the Lightfield dialect.
            try checkFlags(for: .lightfield)
            return .embedded(purpose: purpose)
        }
        if let purpose { chosen.purpose = purpose }
        if let pid { chosen.pid = pid }
        if temporary { chosen.temporary = true }
        if let dialect, profile != nil, dialect != chosen.dialect {
            let foreign = chosen.settings(foreignTo: dialect)
            guard foreign.isEmpty else {
                throw .profile("--dialect \(dialect.rawValue) over profile \(chosen.name) (\(chosen.dialect.rawValue)): its "
                    + foreign.joined(separator: ", ") + " \(foreign.count == 1 ? "is" : "are") not for the \(dialect.rawValue) dialect")
            }
            chosen.dialect = dialect
        }
        if let apiKeyEnv, profile != nil { chosen.apiKeyEnv = apiKeyEnv }
        try checkFlags(for: chosen.dialect)
        if noClobber { chosen.noClobber = true }
        if chosen.dialect == .s3 { try applyS3(to: &chosen, environment: environment) }
        while chosen.endpoint.hasSuffix("/") { chosen.endpoint.removeLast() }
        try Self.checkEndpoint(chosen)
        return .profile(chosen)
    }

    /// Flags that mean something in another dialect only are refused by name, never ignored:
    /// Luw's names are objects, so a `--no-clobber` it ignored would let an upload replace one.
    private func checkFlags(for dialect: Dialect) throws(EngineError) {
        // Each flag is its config.toml key spelt as a flag, held to that key's dialects;
        // `--part-jobs` has no key, and is s3's.
        let given: [(key: String, given: Bool)] = [
            ("bucket", bucket != nil), ("region", region != nil), ("prefix", prefix != nil), ("path_style", pathStyle),
            ("no_clobber", noClobber), ("multipart_threshold", multipartThreshold != nil), ("part_jobs", partJobs != nil),
            ("purpose", purpose != nil), ("pid", pid != nil), ("temporary", temporary), ("api_key_env", apiKeyEnv != nil),
        ]
        let foreign = given.compactMap { entry -> (flag: String, dialects: Set<Dialect>)? in
            let dialects = entry.key == "part_jobs" ? [.s3] : ConfigKeys.dialects[entry.key] ?? Set(Dialect.allCases)
            guard entry.given, !dialects.contains(dialect) else { return nil }
            return ("--" + entry.key.replacingOccurrences(of: "_", with: "-"), dialects)
        }
        guard !foreign.isEmpty else { return }
        if foreign.contains(where: { $0.flag == "--api-key-env" }) {
            throw .profile("--api-key-env is for the lightfield and luw dialects: s3 signs with AWS credentials (AWS_ACCESS_KEY_ID, AWS_PROFILE)")
        }
        func owner(_ dialects: Set<Dialect>) -> String { dialects.map(\.rawValue).sorted().joined(separator: " and ") }
        guard Set(foreign.map(\.dialects)).count == 1 else {
            throw .profile(foreign.map { "\($0.flag) (\(owner($0.dialects)))" }.joined(separator: ", ") + " are not for the \(dialect.rawValue) dialect")
        }
        let flags = foreign.map(\.flag)
        let names = flags.count == 1 ? flags[0] : flags.dropLast().joined(separator: ", ") + " and " + flags[flags.count - 1]
        throw .profile("\(names) \(flags.count == 1 ? "belongs" : "belong") to the \(owner(foreign[0].dialects)) dialect, not \(dialect.rawValue)")
    }

    /// An endpoint must be an http or https URL with a host: anything else (no scheme, a
    /// typo, `ftp://`) is the user's to fix, said at once, not a network error retried.
    private static func checkEndpoint(_ profile: Profile) throws(EngineError) {
        let prefix = profile.dialect == .s3 ? "s3: " : ""
        guard let url = URL(string: profile.endpoint), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              url.host?.isEmpty == false
        else {
            throw .profile("\(prefix)endpoint must be an http or https URL, not \(OneLineText.of(profile.endpoint, limit: 120))")
        }
        // Paths are appended to it: a query or fragment would end up before them, and every
        // call would go somewhere else (a 404 per file, not a usage error).
        guard url.query == nil, url.fragment == nil else {
            throw .profile("\(prefix)endpoint must be a base URL, without ?query or #fragment, not \(OneLineText.of(profile.endpoint, limit: 120))")
        }
    }

    /// Lays the s3 flags over the profile's settings, and fills in the AWS endpoint when
    /// the profile names none.
    private func applyS3(to chosen: inout Profile, environment: [String: String]) throws(EngineError) {
        guard var settings = chosen.s3 ?? bucket.map({ S3Settings(bucket: $0) }) else {
            throw .profile("profile \(chosen.name): the s3 dialect needs a bucket")
        }
        if let bucket { settings.bucket = bucket }
        if let region { settings.region = region }
        if settings.region == nil { settings.region = AWSCredentialChain(environment: environment).region() }
        if let prefix { settings.prefix = prefix }
        if pathStyle { settings.pathStyle = true }
        if let multipartThreshold { settings.multipartThreshold = multipartThreshold }
        try settings.validate()
        if chosen.endpoint.isEmpty {
            chosen.endpoint = S3Settings.awsEndpoint(region: settings.region ?? "us-east-1")
        }
        chosen.s3 = settings
    }
}
