import ArgumentParser
import Foundation
import HoistAgent
import HoistEngine
import Synchronization

/// `hoist engine`: the background engine itself. Started on demand by `hoist` and
/// `hoist upload`; can also be run by hand (or by a service manager) in the foreground.
struct EngineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Run the background upload engine (started on demand by hoist and hoist upload).",
        discussion: """
            Owns the journal, resumes its unfinished uploads, and serves clients on a Unix socket \
            ($XDG_RUNTIME_DIR/hoist/, or beside the journal). One per journal: a second one exits 1. \
            It survives the hang-up of the terminal that started it, and exits after --idle-exit \
            seconds with no client and nothing to do, or on `hoist stop`.
            """)

    @OptionGroup var profile: ProfileOptions
    @OptionGroup var transfer: TransferOptions

    @Option(name: .customLong("idle-exit"), help: "Seconds with no client and nothing queued before the engine exits (default 300, or engine_idle_exit in config.toml).")
    var idleExit: Int?

    @Option(name: .customLong("list-done"),
            help: "Completed jobs listed whole to a client that attaches (hoist jobs, a new hoist); older ones are counted (default 1000, or engine_list_done in config.toml).")
    var listDone: Int?

    func validate() throws {
        if let idleExit, idleExit < 1 || idleExit > 604_800 {
            throw ValidationError("--idle-exit takes seconds from 1 to 604800")
        }
        if let listDone, !HoistConfig.listDoneRange.contains(listDone) {
            throw ValidationError("--list-done takes a number of jobs from 0 to 1000000")
        }
    }

    func run() async throws {
        // Its own session: no controlling terminal, so no SIGHUP when the one that
        // started it goes. A hang-up sent anyway is ignored.
        _ = setsid()
        signal(SIGHUP, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        AllocatorTuning.apply()
        let environment = ProcessInfo.processInfo.environment
        let paths = BackgroundEngine.paths(environment)
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: paths.journal).deletingLastPathComponent().path, withIntermediateDirectories: true)
        let lock: EngineLock
        do {
            lock = try EngineLock.acquire(paths)
        } catch {
            throw AgentFailure.report(error)
        }
        let config = try HoistConfig.load(path: XDGPaths(environment: environment).configFile)
        // Left by an engine that was killed: its uploads go on as they were asked.
        let settingsFile = EngineSettingsFile(journal: paths.journal)
        var transfer = self.transfer
        let inherited = settingsFile.inherit(into: &transfer)
        let connection: Connection
        let engine: UploadEngine
        do {
            connection = try await profile.connect(transfer: transfer, environment: environment)
            var configuration = connection.configuration(transfer: transfer, environment: environment)
            configuration.clock = MachineEngineClock()
            // A failure every upload would repeat fails the queued ones at once, so that a
            // waiting `hoist upload` gets its answer; the TUI shows them and R retries.
            configuration.onHalt = .fail
            engine = try UploadEngine(configuration: configuration)
        } catch {
            throw ConfigurationFailure.report(error)
        }
        let idle = idleExit ?? config.engineIdleExit ?? 300
        let host = await AgentHost(
            engine: engine,
            settings: .init(label: TUICommand.destination(connection), version: HoistVersion.number, idleTimeout: .seconds(idle),
                            keepsDone: listDone ?? config.engineListDone ?? JobBook.defaultKeepsDone,
                            options: EngineSettings.applied(profile: connection.profile, transfer: transfer),
                            onOptionsChange: { settingsFile.write($0) }),
            clock: MachineEngineClock(), concurrency: transfer.concurrency, rateLimit: transfer.bytesPerSecond)
        settingsFile.write(EngineSettings.applied(profile: connection.profile, transfer: transfer))
        let following = Task { await host.run() }
        // What a killed engine left, taken before clients are served so that a cancel of
        // everything cancels each of its jobs (at most its window, unless they came by
        // `--detach`, which queues everything at once); the paths its walks had not reached
        // go on held at the backlog.
        let left = await engine.resumeUnfinished()
        await host.resume(jobs: left.jobs, paths: left.walkPaths, walk: left.walk, backlog: UploadEngine.defaultBacklog)
        let signalled = Signalled()
        let signals = Self.handleSignals(host, noting: signalled)
        Stderr.write("hoist engine \(HoistVersion.number) (pid \(getpid())): listening on \(paths.socket), "
            + "\(left.jobs.count) unfinished resumed" + (left.walkPaths.isEmpty ? "" : " (\(left.walkPaths.count) paths of unfinished walks on their way)")
            + ", idle exit after \(idle) s"
            + (inherited.isEmpty ? "" : "; with the settings of the engine killed before it: " + inherited.joined(separator: ", ")) + "\n")
        do {
            try await AgentListener.serve(host, paths: paths) { Stderr.write("hoist engine (pid \(getpid())): \($0)\n") }
        } catch {
            Stderr.write("hoist engine: \(error)\n")
            await host.interrupt("the socket failed: \(error)")
        }
        await following.value
        // Ended by `hoist stop` or its idle exit, the next engine starts with its own
        // settings; ended by a signal, it left its running uploads to the next, as a kill does.
        if !signalled.value.withLock({ $0 }) { settingsFile.remove() }
        for source in signals { source.cancel() }
        await connection.close()
        withExtendedLifetime(lock) {}
        Stderr.write("hoist engine (pid \(getpid())): stopped\n")
    }

    /// SIGTERM and SIGINT stop at once, leaving running sessions for the next engine.
    private static func handleSignals(_ host: AgentHost, noting signalled: Signalled) -> [any DispatchSourceSignal] {
        [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                signalled.value.withLock { $0 = true }
                Task { await host.interrupt("signal \(number)") }
            }
            source.resume()
            return source
        }
    }
}

/// Whether a signal stopped the engine (its running uploads left for the next one).
private final class Signalled: Sendable {
    let value = Mutex(false)
}
