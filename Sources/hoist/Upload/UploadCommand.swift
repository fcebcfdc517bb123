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

    @Flag(help: "Print one JSON object per event on stdout (NDJSON).")
    var json = false

    @Argument(help: "Files or directories to upload.")
    var paths: [String]

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("give at least one file or directory") }
    }

    func run() async throws {
        AllocatorTuning.apply()
        let connection: Connection
        let engine: UploadEngine
        do {
            connection = try await profile.connect()
            engine = try UploadEngine(configuration: connection.configuration(transfer: transfer))
        } catch {
            Stderr.write("hoist: \(error)\n")
            throw ExitCode(2)
        }
        if let embedded = connection.embedded, !json {
            Stderr.write("hoist: using the embedded server at \(embedded.baseURL), data in \(embedded.dataDirectory)\n")
        }
        let interrupts = Self.handleInterrupts(engine)
        let ids = await engine.add(paths: paths)
        var reporter = UploadReporter(json: json, dialect: connection.profile.dialect, interactive: isatty(2) == 1)
        var open = Set(ids)
        var unsuccessful = 0
        if !open.isEmpty {
            for await event in engine.events {
                reporter.handle(event)
                guard event.isTerminal, open.remove(event.job) != nil else { continue }
                if case .completed = event.kind {} else { unsuccessful += 1 }
                if open.isEmpty { break }
            }
        }
        reporter.finish()
        interrupts.cancel()
        await engine.shutdown()
        await connection.close()
        if unsuccessful > 0 { throw ExitCode(1) }
    }

    /// Ctrl-C once: start nothing new, drop queued jobs, let running PUTs finish.
    /// Twice: abort everything now, cancelling every pending session.
    private static func handleInterrupts(_ engine: UploadEngine) -> any DispatchSourceSignal {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let count = Mutex(0)
        source.setEventHandler {
            let presses = count.withLock { value -> Int in value += 1; return value }
            Stderr.write(presses == 1 ? "\nhoist: interrupted: finishing running uploads (Ctrl-C again to abort)\n" : "\nhoist: aborting\n")
            Task { presses == 1 ? await engine.cancelQueued() : await engine.cancelAllPending() }
        }
        source.resume()
        return source
    }
}

/// Turns engine events into the command's output.
struct UploadReporter {
    let json: Bool
    let dialect: Dialect
    /// stderr is a terminal: one updating line instead of a log.
    let interactive: Bool

    private struct Job { var remoteID: String?; var sent: Int64 = 0; var total: Int64 = 0; var done = false }
    private var jobs: [JobID: Job] = [:]
    private var finished = 0
    private var lastLine = ContinuousClock.now - .seconds(1)
    private let started = ContinuousClock.now
    private var lineShown = false

    init(json: Bool, dialect: Dialect, interactive: Bool) {
        self.json = json
        self.dialect = dialect
        self.interactive = interactive
    }

    mutating func handle(_ event: EngineEvent) {
        var job = jobs[event.job] ?? Job()
        switch event.kind {
        case .queued(let size): job.total = size
        case .sessionCreated(let id, _): job.remoteID = id
        case .progress(let sent, let total): job.sent = sent; job.total = total
        case .completed(let id, _): job.remoteID = id; job.sent = job.total; job.done = true
        case .failed, .cancelled: job.done = true
        default: break
        }
        jobs[event.job] = job
        if json {
            if let line = event.jsonLine(dialect: dialect, remoteID: job.remoteID) { Stdout.write(line + "\n") }
            return
        }
        switch event.kind {
        case .completed(let id, let md5):
            finished += 1
            clearLine()
            Stdout.write("completed \(event.path) \(id) md5=\(md5)\n")
        case .failed(let error):
            finished += 1
            clearLine()
            Stdout.write("failed \(event.path): \(error)\n")
        case .cancelled:
            finished += 1
            clearLine()
            Stdout.write("cancelled \(event.path)\n")
        case .retrying(let attempt, let delay, let reason):
            clearLine()
            Stderr.write("retrying \(event.path) (attempt \(attempt) in \(delay.formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow)))): \(reason)\n")
        case .sessionCreated(let id, _) where !interactive:
            Stderr.write("uploading \(event.path) as \(id)\n")
        default:
            break
        }
        if interactive { drawLine(force: false) }
    }

    mutating func finish() {
        if interactive { clearLine() }
    }

    private mutating func drawLine(force: Bool) {
        let now = ContinuousClock.now
        guard force || now - lastLine >= .milliseconds(100) else { return }
        lastLine = now
        let sent = jobs.values.reduce(Int64(0)) { $0 + $1.sent }
        let total = jobs.values.reduce(Int64(0)) { $0 + $1.total }
        let seconds = max(Double((now - started).components.seconds) + Double((now - started).components.attoseconds) / 1e18, 0.001)
        let percent = total > 0 ? Int(sent * 100 / total) : 0
        let text = "[\(finished)/\(jobs.count)] \(percent)% \(Self.bytes(sent))/\(Self.bytes(total)) \(Self.bytes(Int64(Double(sent) / seconds)))/s"
        Stderr.write("\r\u{1B}[K" + text)
        lineShown = true
    }

    private mutating func clearLine() {
        guard interactive, lineShown else { return }
        Stderr.write("\r\u{1B}[K")
        lineShown = false
    }

    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(count) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}
