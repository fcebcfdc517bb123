import ArgumentParser
import Foundation
import HoistAgent
import HoistEngine

/// `hoist attach`: the background engine's queue, live. On a terminal, the interactive
/// view; with `--json` (or no terminal), its event stream as NDJSON for scripts.
struct AttachCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach", abstract: "Watch the background engine's queue live (the TUI, or NDJSON with --json).",
        discussion: "Exit status: 0 when the engine stopped, 1 when none is running or the connection was lost, 2 for a version mismatch.")

    @Flag(help: "Print the engine's stream as NDJSON: a hello line, the snapshot, ready, then live events.")
    var json = false

    @OptionGroup var tui: TUICommand

    func run() async throws {
        if !json && isatty(1) == 1 {
            try await tui.run(startEngine: false)
            return
        }
        let engine = BackgroundEngine.forWatching()
        let connection: AgentConnection
        do {
            connection = try await engine.connectIfRunning(raw: true)
        } catch {
            throw AgentFailure.report(error)
        }
        // A reader that goes away (`| head`) ends the command quietly, never with a trap.
        signal(SIGPIPE, SIG_IGN)
        guard Self.write(connection.greetingText) else { return }
        var stopped = false
        for await text in connection.texts {
            guard Self.write(text) else {
                connection.close()
                return
            }
            if text.hasPrefix(#"{"event":"stopping""#) { stopped = true }
        }
        if !stopped {
            Stderr.write("hoist: \(AgentError.lost(connection.endReason ?? "the connection closed").message)\n")
            throw ExitCode(1)
        }
    }
}

extension AttachCommand {
    /// Writes one line to stdout; false once nobody reads it.
    static func write(_ line: String) -> Bool {
        var bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { Glibc.write(1, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }
}

/// `hoist jobs`: what the background engine holds, one line per job.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "List the background engine's jobs (this engine's life).",
        discussion: "Exit status: 0 listed, 1 no background engine is running or the connection was lost, 2 version mismatch.")

    @Flag(help: "One JSON object per job.")
    var json = false

    func run() async throws {
        let connection: AgentConnection
        do {
            connection = try await BackgroundEngine.forWatching().connectIfRunning(watch: false)
        } catch {
            throw AgentFailure.report(error)
        }
        // Each job's line as the snapshot comes, held in a temporary file until `ready`:
        // their 300,000 events for 100,000 jobs took 197 MiB.
        let spool: Spool
        do {
            spool = try Spool()
        } catch {
            Stderr.write("hoist: \(error.message)\n")
            throw ExitCode(1)
        }
        var folder = JobSummary.Folder()
        let encoder = Self.jsonEncoder()
        var listed = 0
        // The engine keeps the latest completed jobs whole (1,000 unless `--list-done` or
        // `engine_list_done` says otherwise) and counts the older ones:
        // their line goes first, as their jobs came first (the text list only).
        let unlisted = connection.greeting.unlistedDone ?? UnlistedJobs()
        if !json && !unlisted.isEmpty {
            spool.append("\(unlisted.count) earlier completed jobs (\(unlisted.bytes) bytes) are counted, not listed; the journal keeps them (the TUI's H)")
        }
        func list(_ job: JobSummary?) {
            guard let job else { return }
            spool.append(json ? Self.json(job, with: encoder) : Self.human(job))
            listed += 1
        }
        var complete = false
        for await line in connection.lines {
            if case .event(let event) = line { list(folder.add(event)) }
            if case .notice(let notice) = line, notice.event == .ready {
                complete = true
                break
            }
        }
        list(folder.finish())
        connection.close()
        // A list cut short is not printed as if it were the whole queue.
        guard complete else {
            Stderr.write("hoist: \(AgentError.lost(connection.endReason ?? "the connection closed before the list was complete").message)\n")
            throw ExitCode(1)
        }
        if !json && listed == 0 && unlisted.isEmpty { spool.append("no jobs (engine pid \(connection.greeting.pid ?? 0))") }
        // A reader that goes away (`| head`) ends the command quietly, never with a trap.
        signal(SIGPIPE, SIG_IGN)
        do {
            _ = try spool.printAll()
        } catch {
            Stderr.write("hoist: \(error.message)\n")
            throw ExitCode(1)
        }
    }

    static func human(_ job: JobSummary) -> String {
        var state = job.state.rawValue
        if job.state == .uploading, job.size > 0 { state += " \(Int(Double(job.sent) / Double(job.size) * 100))%" }
        if job.state == .verifying { state += " \(EngineEvent.verifiedPercent(checked: job.checked, total: job.checkTotal))%" }
        var line = "#\(job.job.rawValue)  \(state.padding(toLength: 14, withPad: " ", startingAt: 0)) \(job.path)"
        if let remote = job.remoteID, job.state == .completed { line += "  → \(remote)" }
        if let error = job.error { line += "  (\(error.message))" }
        if let pending = job.cancelPending { line += "  (session still open on the server: \(pending))" }
        return line
    }

    /// One job as a JSON object, keys sorted; absent ones left out.
    static func json(_ job: JobSummary, with encoder: JSONEncoder) -> String {
        let verifying = job.state == .verifying
        let line = JobLine(job: job.job.rawValue, path: job.path, state: job.state.rawValue, size: job.size, sent: job.sent,
                           checked: verifying ? job.checked : nil, checkTotal: verifying ? job.checkTotal : nil,
                           remote: job.remoteID, md5: job.md5, error: job.error?.message, errorCode: job.error?.codeName,
                           cancelPending: job.cancelPending)
        return String(decoding: (try? encoder.encode(line)) ?? Data(), as: UTF8.self)
    }

    /// The encoder of `--json` lines: one for the whole list (a fresh one per job, and
    /// `JSONSerialization` before it, took most of 10 s for 100,000 jobs).
    static func jsonEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    private struct JobLine: Encodable {
        let job: Int
        let path: String
        let state: String
        let size: Int64
        let sent: Int64
        /// While `verifying`: the bytes of the parts the store holds hashed so far, of `check_total`.
        let checked: Int64?
        let checkTotal: Int64?
        let remote: String?
        let md5: String?
        let error: String?
        let errorCode: String?
        /// Why the ended job's session is still open on the server (its cancel not made yet).
        let cancelPending: String?

        enum CodingKeys: String, CodingKey {
            case job, path, state, size, sent, checked, remote, md5, error
            case checkTotal = "check_total"
            case errorCode = "error_code"
            case cancelPending = "cancel_pending"
        }
    }
}

/// `hoist stop`: running uploads finish, queued ones stay in the journal, the engine exits.
struct StopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop the background engine once its running uploads finish (--now: cancel them).",
        discussion: "Exit status: 0 stopped (or none was running), 1 the connection was lost first, 2 version mismatch.")

    @Flag(help: "Cancel running uploads (and their sessions) instead of letting them finish.")
    var now = false

    func run() async throws {
        let connection: AgentConnection
        do {
            connection = try await BackgroundEngine.forWatching().connectIfRunning()
        } catch where error.isNotRunning {
            Stderr.write("hoist: no background engine is running\n")
            return
        } catch {
            throw AgentFailure.report(error)
        }
        connection.send(.stop(now: now))
        var running = 0
        var stopping = false
        var ready = false
        var folder = JobSummary.Folder()
        for await line in connection.lines {
            switch line {
            case .event(let event) where !ready:
                if folder.add(event)?.isRunning == true { running += 1 }
            case .notice(let notice) where notice.event == .ready:
                ready = true
                if folder.finish()?.isRunning == true { running += 1 }
            case .notice(let notice) where notice.event == .stopping:
                stopping = true
                if !now && running > 0 {
                    Stderr.write("hoist: waiting for \(running) running upload\(running == 1 ? "" : "s") to finish (hoist stop --now cancels them)\n")
                }
            default: break
            }
        }
        guard stopping else {
            Stderr.write("hoist: \(AgentError.lost(connection.endReason ?? "the connection closed").message)\n")
            throw ExitCode(1)
        }
        Stderr.write("hoist: the background engine (pid \(connection.greeting.pid ?? 0)) stopped\n")
    }
}
