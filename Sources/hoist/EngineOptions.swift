import ArgumentParser
import Foundation
import HoistEngine

/// The profile flags shared by `hoist`, `hoist upload` and the status commands.
struct ProfileOptions: ParsableArguments {
    @Option(help: "Profile from $XDG_CONFIG_HOME/hoist/config.toml.")
    var profile: String?

    @Option(help: "API base URL (with --dialect and --api-key-env), instead of a profile.")
    var endpoint: String?

    @Option(help: "API dialect: lightfield or luw.")
    var dialect: Dialect?

    @Option(name: .customLong("api-key-env"), help: "Environment variable that holds the API key.")
    var apiKeyEnv: String?

    @Option(help: "Lightfield purpose (general, knowledge_user, meeting_transcript...).")
    var purpose: String?

    @Option(help: "Luw persona id.")
    var pid: Int?

    @Flag(help: "Luw: temporary upload (x12tmp- prefix, deleted after 12 hours).")
    var temporary = false

    var selection: ProfileSelection {
        ProfileSelection(
            profile: profile, endpoint: endpoint, dialect: dialect, apiKeyEnv: apiKeyEnv,
            purpose: purpose, pid: pid, temporary: temporary)
    }

    /// Resolves the profile and key, starting the embedded server when no profile applies.
    func connect(environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> Connection {
        let paths = XDGPaths(environment: environment)
        let config = try HoistConfig.load(path: paths.configFile)
        switch try selection.resolve(config: config) {
        case .profile(let profile):
            return Connection(profile: profile, key: try profile.resolveKey(environment: environment), embedded: nil, journalEndpoint: nil)
        case .embedded(let purpose):
            let embedded = try await EmbeddedServer.start(dataDirectory: paths.dataDirectory)
            let profile = Profile(
                name: "embedded", dialect: .lightfield, endpoint: embedded.baseURL, apiKeyEnv: nil,
                purpose: purpose ?? "general")
            return Connection(profile: profile, key: embedded.key, embedded: embedded, journalEndpoint: "embedded:" + paths.dataDirectory)
        }
    }
}

/// The flags that shape a transfer, shared by `hoist` and `hoist upload`.
struct TransferOptions: ParsableArguments {
    @Option(help: "Uploads running at once.")
    var jobs = 4

    @Option(name: .customLong("limit-rate"), help: "Total bandwidth limit, e.g. 500K or 10M (bytes per second).")
    var limitRate: String?

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        if let limitRate, RateLimiter.parse(limitRate) == nil {
            throw ValidationError("--limit-rate takes a rate like 500K or 10M, not \(limitRate)")
        }
    }

    var bytesPerSecond: Int64? { limitRate.flatMap(RateLimiter.parse) }
}

/// A resolved profile with its key, and the embedded server when one was started.
struct Connection: Sendable {
    var profile: Profile
    var key: APIKey
    var embedded: EmbeddedServer?
    var journalEndpoint: String?

    func configuration(transfer: TransferOptions?, environment: [String: String] = ProcessInfo.processInfo.environment) -> EngineConfiguration {
        var config = EngineConfiguration(profile: profile, key: key)
        config.journalPath = EngineConfiguration.defaultJournalPath(environment: environment)
        config.journalEndpoint = journalEndpoint
        if let transfer {
            config.concurrency = transfer.jobs
            config.rateLimit = transfer.bytesPerSecond
        }
        return config
    }

    func close() async { await embedded?.stop() }
}

extension Dialect: ExpressibleByArgument {}
