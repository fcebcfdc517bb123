import ArgumentParser
import Foundation
import HoistEngine
import Synchronization

/// `hoist upload PATH...`: uploads files and directories for scripts.
///
/// Progress goes to stderr, one result line per file to stdout (or NDJSON with `--json`).
/// Exit 0 when every file completed, 1 when any failed or was cancelled, 2 on usage errors.
struct UploadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upload", abstract: "Upload files and directories.",
        discussion: "Exit status: 0 every file completed, 1 some failed or were cancelled, 2 usage error.")

    @OptionGroup var profile: ProfileOptions
    @OptionGroup var transfer: TransferOptions

    @Option(name: .customLong("max-backlog"),
            help: "Files of a directory queued ahead of the uploads, at most; the walk waits while that many do (rclone's --max-backlog).")
    var maxBacklog: Int?

    var backlog: Int { maxBacklog ?? UploadEngine.defaultBacklog }

    @Flag(help: "Print one JSON object per event on stdout (NDJSON).")
    var json = false

    @Option(name: .customLong("progress-interval"),
            help: "Seconds between progress lines on stderr when it is not a terminal (0: none).")
    var progressInterval: Double = 10

    @Argument(help: "Files or directories to upload.")
    var paths: [String]

    @OptionGroup var mode: EngineModeOptions

    @Flag(help: "Queue the files in the background engine and return at once, printing the job ids.")
    var detach = false

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("give at least one file or directory") }
        // An unset shell variable ("$DIR") must not upload the current directory.
        guard !paths.contains("") else { throw ValidationError("an empty path was given; name a file or directory") }
        // Swift gave these arguments repaired (U+FFFD for each bad byte): as given, they name
        // files no Swift string can name, and as repaired, nothing (or another file).
        let unnamable = RawArguments.notUTF8()
        if let path = paths.first(where: unnamable.contains) {
            throw ValidationError(EngineError.unnamable(OneLine.escape(path)).message)
        }
        guard progressInterval >= 0, progressInterval <= 86_400 else {
            throw ValidationError("--progress-interval takes seconds from 0 (no progress lines) to 86400")
        }
        if detach && mode.foreground { throw ValidationError("--detach queues in the background engine; it cannot go with --foreground") }
        guard backlog >= 2 else { throw ValidationError("--max-backlog takes 2 files or more") }
        if detach && maxBacklog != nil { throw ValidationError("--detach queues the whole tree at once; it cannot go with --max-backlog") }
    }

    func run() async throws {
        AllocatorTuning.apply()
        let environment = ProcessInfo.processInfo.environment
        let config: HoistConfig
        do {
            config = try HoistConfig.load(path: XDGPaths(environment: environment).configFile)
        } catch {
            throw ConfigurationFailure.report(error)
        }
        if detach || mode.usesBackground(config: config, environment: environment) {
            try await runInBackground(environment: environment)
            return
        }
        // One clock for the engine's event times, the progress ticks and the elapsed time.
        let clock = SystemEngineClock()
        let connection: Connection
        let engine: UploadEngine
        do {
            connection = try await profile.connect(transfer: transfer)
            var configuration = connection.configuration(transfer: transfer)
            configuration.clock = clock
            // After a failure every upload would repeat (refused, bad key), each queued file
            // ends failed with it: a script gets its answer now, not a paused engine.
            configuration.onHalt = .fail
            engine = try UploadEngine(configuration: configuration)
        } catch {
            throw ConfigurationFailure.report(error)
        }
        if let embedded = connection.embedded, !json {
            Stderr.write("hoist: using the embedded server at \(embedded.baseURL), data in \(embedded.dataDirectory)\n")
        }
        let interrupts = Self.handleInterrupts(engine)
        let terminated = Termination()
        let termination = Self.handleTermination(engine, terminated: terminated)
        let started = clock.now()
        var reporter = UploadReporter(json: json, dialect: connection.profile.dialect, progress: progressStyle, concurrency: transfer.concurrency)
        // Reported while it is queued: a tree of 100,000 files starts, and shows, at once,
        // and is read only as far as `backlog` files ahead of the uploads.
        let paths = paths, backlog = backlog
        _ = await report(engine.events, until: { await engine.add(paths: paths, backlog: backlog) }, to: &reporter, clock: clock)
        reporter.finish(elapsed: clock.now() - started)
        interrupts.cancel()
        termination.cancel()
        await engine.shutdown()
        await connection.close()
        // Terminated before every file was even queued, the run may have no job that ended
        // cancelled: what was left still makes it a run that did not complete.
        if terminated.isSet || reporter.tally.count(.failed) + reporter.tally.count(.cancelled) > 0 { throw ExitCode(1) }
    }

    /// Feeds `events` and progress ticks to `reporter` until every job of the ids `added`
    /// comes to has ended, or the events end; the jobs not seen to end.
    func report(_ events: AsyncStream<EngineEvent>, until added: @escaping @Sendable () async -> [JobID],
                to reporter: inout UploadReporter, clock: any EngineClock) async -> Set<JobID> {
        var open: Set<JobID>?
        var ended = Set<JobID>()
        let inputs = UploadInputs(events: events, added: added, tick: tickInterval, clock: clock)
        for await input in inputs.stream {
            switch input {
            case .tick(let now):
                reporter.tick(at: now)
            case .added(let ids):
                open = Set(ids).subtracting(ended)
                ended = []
            case .event(let event):
                reporter.handle(event)
                if event.isTerminal {
                    if open != nil { open?.remove(event.job) } else { ended.insert(event.job) }
                }
            }
            if open?.isEmpty == true { break }
        }
        inputs.stop()
        if let open { return open }
        // The events ended before the ids were read: every job of them not seen to end.
        return Set(await inputs.ids.value).subtracting(ended)
    }

    /// A live line on a terminal (not with `--json`, whose lines share the screen), a line
    /// per interval otherwise.
    var progressStyle: UploadReporter.Progress {
        if isatty(2) == 1 { return json ? .none : .live }
        return progressInterval > 0 ? .log : .none
    }

    /// How often progress is shown: the live line is refreshed every second so that its rate
    /// and ETA move even while no event arrives (a stall).
    var tickInterval: Duration? {
        switch progressStyle {
        case .live: return .seconds(1)
        case .log: return .seconds(progressInterval)
        case .none: return nil
        }
    }

    /// Ctrl-C once: start nothing new, drop queued jobs, let running PUTs finish.
    /// Twice: abort everything now, cancelling every pending session.
    private static func handleInterrupts(_ engine: UploadEngine) -> any DispatchSourceSignal {
        onInterrupt { presses in Task { presses == 1 ? await engine.cancelQueued() : await engine.cancelAllPending() } }
    }

    /// SIGTERM (a service manager, `kill`, `timeout`): stop now but keep what is unfinished
    /// as a kill would, for the next run to resume (a multipart upload keeps its parts), and
    /// still print each job's last line and the summary. Exit status 1, as for any
    /// upload that did not complete.
    /// A second SIGTERM ends the process at once, as the first would have without this.
    private static func handleTermination(_ engine: UploadEngine, terminated: Termination) -> any DispatchSourceSignal {
        onTermination(terminated, saying: "stopping; unfinished uploads resume on the next run (again to end at once)") {
            Task { await engine.shutdown(keepingUnfinished: true) }
        }
    }

    /// Calls `act` at the first SIGTERM, after saying `what` on stderr; a second one ends the
    /// process at once, as the first would have without this. Cancel the returned source
    /// once the run is over: SIGTERM then ends the process again as it normally does.
    static func onTermination(_ terminated: Termination, saying what: String, _ act: @escaping @Sendable () -> Void)
        -> any DispatchSourceSignal
    {
        signal(SIGTERM, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        source.setEventHandler {
            if terminated.isSet { Glibc.exit(128 + SIGTERM) }
            terminated.set()
            Stderr.write("\(Stderr.afterTheLine)hoist: terminated: \(what)\n")
            act()
        }
        source.setCancelHandler { signal(SIGTERM, SIG_DFL) }
        source.resume()
        return source
    }

    /// Counts Ctrl-C presses, says what each does, and calls `act` with the count (1: finish
    /// running uploads, 2 or more: abort). Cancel the returned source to stop listening.
    static func onInterrupt(_ act: @escaping @Sendable (Int) -> Void) -> any DispatchSourceSignal {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let count = Mutex(0)
        source.setEventHandler {
            let presses = count.withLock { value -> Int in value += 1; return value }
            let lead = Stderr.afterTheLine
            Stderr.write(presses == 1 ? "\(lead)hoist: interrupted: finishing running uploads (Ctrl-C again to abort)\n" : "\(lead)hoist: aborting\n")
            act(presses)
        }
        source.resume()
        return source
    }
}

/// Whether a SIGTERM came, set from the signal handler and read at the end of the run.
final class Termination: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
