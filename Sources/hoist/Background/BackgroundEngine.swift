import ArgumentParser
import Foundation
import HoistAgent
import HoistEngine

/// `--foreground`: whether the engine runs in this process or in the background.
struct EngineModeOptions: ParsableArguments {
    @Flag(help: "Run the upload engine inside this process (no background engine): uploads stop when it exits.")
    var foreground = false

    /// True unless `--foreground`, `HOIST_ENGINE=foreground` or `background = false` in config.toml.
    func usesBackground(config: HoistConfig, environment: [String: String]) -> Bool {
        if foreground { return false }
        switch environment["HOIST_ENGINE"]?.lowercased() {
        case "foreground": return false
        case "background": return true
        default: return config.background ?? true
        }
    }
}

/// The client's view of the background engine of this user's journal: where it listens,
/// where this client wants uploads to go, and how to start one that does.
struct BackgroundEngine: Sendable {
    let paths: AgentPaths
    /// Where this client's uploads go (`EngineConfiguration.journalKey`); nil for a client
    /// that only watches or stops (`attach`, `jobs`, `stop`).
    let destination: String?
    /// The destination's profile, for local checks (the embedded server's endpoint is the
    /// engine's to know).
    let profile: Profile?
    let launcher: AgentLauncher
    /// The settings this client's uploads need the engine to apply (``EngineSettings``);
    /// nil for a client that takes the engine's (the TUI, which can change them live).
    var options: [String: String]? = nil

    /// For `hoist` and `hoist upload`: resolves the profile and key here, so that a bad
    /// flag or a missing key is reported before any engine starts.
    static func forUploads(profile options: ProfileOptions, transfer: TransferOptions?, idleExit: Int? = nil, asking: Bool = false,
                           environment: [String: String] = ProcessInfo.processInfo.environment) throws -> BackgroundEngine {
        let xdg = XDGPaths(environment: environment)
        let config = try HoistConfig.load(path: xdg.configFile)
        let profile: Profile
        let destination: String
        switch try options.selection(transfer: transfer).resolve(config: config) {
        case .profile(let resolved):
            let key = try resolved.resolveKey(environment: environment)
            profile = resolved
            destination = EngineConfiguration.destination(of: resolved, key: key)
        case .embedded(let purpose):
            profile = Profile(name: "embedded", dialect: .lightfield, endpoint: "embedded", apiKeyEnv: nil, purpose: purpose ?? "general")
            destination = EngineConfiguration.embeddedDestination(dataDirectory: xdg.dataDirectory, purpose: purpose)
        }
        var arguments = ["engine"] + options.arguments + (transfer?.arguments ?? [])
        if let idleExit { arguments += ["--idle-exit", String(idleExit)] }
        return BackgroundEngine(
            paths: paths(environment), destination: destination, profile: profile,
            launcher: AgentLauncher(paths: paths(environment), executable: executable, arguments: arguments),
            options: asking ? EngineSettings.asked(profile: profile, options: options, transfer: transfer) : nil)
    }

    /// For `attach`, `jobs` and `stop`: any destination will do, and nothing is started.
    static func forWatching(environment: [String: String] = ProcessInfo.processInfo.environment) -> BackgroundEngine {
        BackgroundEngine(
            paths: paths(environment), destination: nil, profile: nil,
            launcher: AgentLauncher(paths: paths(environment), executable: executable, arguments: ["engine"]))
    }

    static func paths(_ environment: [String: String]) -> AgentPaths {
        AgentPaths(journal: EngineConfiguration.defaultJournalPath(environment: environment), environment: environment)
    }

    /// This very executable, to start the engine with.
    static var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    func hello(watch: Bool = true) -> AgentRequest {
        .hello(version: HoistVersion.number, destination: destination, watch: watch, options: options)
    }

    /// Connects, starting the engine when none runs.
    func connect() async throws(AgentError) -> AgentConnection {
        try await launcher.connect(hello: hello())
    }

    /// Connects to a running engine only; `raw`: its lines come as sent (``AgentConnection/texts``).
    func connectIfRunning(watch: Bool = true, raw: Bool = false) async throws(AgentError) -> AgentConnection {
        try await AgentLauncher.connectToRunning(paths, hello: hello(watch: watch), raw: raw)
    }
}

extension ProfileOptions {
    /// The flags again, for the engine this client starts.
    var arguments: [String] {
        var list: [String] = []
        if let profile { list += ["--profile", profile] }
        if let endpoint { list += ["--endpoint", endpoint] }
        if let dialect { list += ["--dialect", dialect.rawValue] }
        if let apiKeyEnv { list += ["--api-key-env", apiKeyEnv] }
        if let purpose { list += ["--purpose", purpose] }
        if let pid { list += ["--pid", String(pid)] }
        if temporary { list.append("--temporary") }
        if let bucket { list += ["--bucket", bucket] }
        if let region { list += ["--region", region] }
        if let prefix { list += ["--prefix", prefix] }
        if pathStyle { list.append("--path-style") }
        if noClobber { list.append("--no-clobber") }
        if let multipartThreshold { list += ["--multipart-threshold", multipartThreshold] }
        return list
    }
}

extension TransferOptions {
    /// The flags again, for the engine this client starts.
    var arguments: [String] {
        (jobs.map { ["--jobs", String($0)] } ?? []) + (partJobs.map { ["--part-jobs", String($0)] } ?? [])
            + (limitRate.map { ["--limit-rate", $0] } ?? [])
    }
}

/// How an agent failure ends a command: the message, and exit 2 for what the user must
/// fix (versions, destinations), 1 otherwise.
enum AgentFailure {
    static func report(_ error: AgentError) -> ExitCode {
        Stderr.write("hoist: \(error.message)\n")
        return ExitCode(error.isPermanent ? 2 : 1)
    }
}
