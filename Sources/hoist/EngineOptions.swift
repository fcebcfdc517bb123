import ArgumentParser
import Foundation
import HoistEngine

/// The profile flags shared by `hoist`, `hoist upload` and the status commands.
struct ProfileOptions: ParsableArguments {
    @Option(help: "Profile from $XDG_CONFIG_HOME/hoist/config.toml.")
    var profile: String?

    @Option(help: "API base URL (with --dialect and --api-key-env), instead of a profile.")
    var endpoint: String?

    @Option(help: "API dialect: lightfield, luw or s3.")
    var dialect: Dialect?

    @Option(name: .customLong("api-key-env"), help: "Environment variable that holds the API key.")
    var apiKeyEnv: String?

    @Option(help: "Lightfield purpose (general, knowledge_user, meeting_transcript...).")
    var purpose: String?

    @Option(help: "Luw persona id.")
    var pid: Int?

    @Flag(help: "Luw: temporary upload (x12tmp- prefix, deleted after 12 hours).")
    var temporary = false

    @Option(help: "S3: the bucket (with --dialect s3; --endpoint defaults to AWS).")
    var bucket: String?

    @Option(help: "S3: the bucket's region (default: AWS_REGION, ~/.aws/config, us-east-1).")
    var region: String?

    @Option(help: "S3: prepended to every object key.")
    var prefix: String?

    @Flag(name: .customLong("path-style"), help: "S3: bucket in the path, not the host name (MinIO, Ceph).")
    var pathStyle = false

    @Flag(name: .customLong("no-clobber"), help: "S3: never replace an existing object (If-None-Match: *).")
    var noClobber = false

    @Option(name: .customLong("multipart-threshold"), help: "S3: larger files go as multipart uploads (default 64M).")
    var multipartThreshold: String?

    func validate() throws {
        if let multipartThreshold, RateLimiter.parse(multipartThreshold) == nil {
            throw ValidationError("--multipart-threshold takes a size like 64M, not \(multipartThreshold)")
        }
    }

    var selection: ProfileSelection { selection(transfer: nil) }

    /// The selection, with the transfer flags that belong to one dialect (`--part-jobs`).
    func selection(transfer: TransferOptions?) -> ProfileSelection {
        var selection = ProfileSelection(
            profile: profile, endpoint: endpoint, dialect: dialect, apiKeyEnv: apiKeyEnv,
            purpose: purpose, pid: pid, temporary: temporary)
        selection.bucket = bucket
        selection.region = region
        selection.prefix = prefix
        selection.pathStyle = pathStyle
        selection.noClobber = noClobber
        selection.multipartThreshold = multipartThreshold.flatMap(RateLimiter.parse)
        selection.partJobs = transfer?.partJobs
        return selection
    }

    /// Resolves the profile and key, starting the embedded server when no profile applies.
    func connect(transfer: TransferOptions? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> Connection {
        let paths = XDGPaths(environment: environment)
        let config = try HoistConfig.load(path: paths.configFile)
        switch try selection(transfer: transfer).resolve(config: config) {
        case .profile(let profile):
            return Connection(profile: profile, key: try profile.resolveKey(environment: environment), embedded: nil, journalEndpoint: nil)
        case .embedded(let purpose):
            let embedded = try await EmbeddedServer.start(dataDirectory: paths.dataDirectory)
            let profile = Profile(
                name: "embedded", dialect: .lightfield, endpoint: embedded.baseURL, apiKeyEnv: nil,
                purpose: purpose ?? "general")
            return Connection(profile: profile, key: embedded.key, embedded: embedded,
                              journalEndpoint: EngineConfiguration.embeddedDestination(dataDirectory: paths.dataDirectory, purpose: purpose))
        }
    }
}

/// The flags that shape a transfer, shared by `hoist` and `hoist upload`.
struct TransferOptions: ParsableArguments {
    @Option(help: "Uploads running at once (default: 4, raised up to 32 while that makes the queue go faster; a number fixes it).")
    var jobs: Int?

    /// Uploads at once to start with.
    var concurrency: Int { jobs ?? 4 }
    /// What the engine may choose from when `--jobs` was not given.
    static let adaptiveRange = 4...32

    @Option(name: .customLong("limit-rate"), help: "Total bandwidth limit, e.g. 500K or 10M (bytes per second).")
    var limitRate: String?

    @Option(name: .customLong("part-jobs"), help: "S3: parts of one multipart upload sent at once (default 4).")
    var partJobs: Int?

    /// Parts at once, given or not.
    var partJobCount: Int { partJobs ?? 4 }

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        guard (1...64).contains(partJobCount) else { throw ValidationError("--part-jobs must be between 1 and 64") }
        if let limitRate, RateLimiter.parse(limitRate) == nil {
            throw ValidationError("--limit-rate takes a rate like 500K or 10M (at most 1048576G), not \(limitRate)")
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

    /// The engine's configuration. `adaptive`: without `--jobs`, the engine chooses its
    /// concurrency (the TUI's own engine does not: its view shows the number it set).
    func configuration(transfer: TransferOptions?, adaptive: Bool = true,
                       environment: [String: String] = ProcessInfo.processInfo.environment) -> EngineConfiguration {
        var config = EngineConfiguration(profile: profile, key: key)
        config.journalPath = EngineConfiguration.defaultJournalPath(environment: environment)
        config.journalEndpoint = journalEndpoint
        if let transfer {
            config.concurrency = transfer.concurrency
            if transfer.jobs == nil, adaptive { config.adaptiveConcurrency = TransferOptions.adaptiveRange }
            config.rateLimit = transfer.bytesPerSecond
            config.partJobs = transfer.partJobCount
        }
        return config
    }

    func close() async { await embedded?.stop() }
}

extension Dialect: ExpressibleByArgument {}
