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
        // Each job's line as the snapshot comes, kept as bytes until `ready`: 100,000 jobs
        // are about 8 MB of text, where their 300,000 events took 197 MiB.
        var folder = JobSummary.Folder()
        var text: [UInt8] = []
        var listed = 0
        func list(_ job: JobSummary?) {
            guard let job else { return }
            text += (json ? Self.json(job) : Self.human(job)).utf8
            text.append(UInt8(ascii: "\n"))
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
        signal(SIGPIPE, SIG_IGN)
        FileHandle.standardOutput.write(Data(text))
        if !json && listed == 0 { print("no jobs (engine pid \(connection.greeting.pid ?? 0))") }
    }

    static func human(_ job: JobSummary) -> String {
        var state = job.state.rawValue
        if job.state == .uploading, job.size > 0 { state += " \(Int(Double(job.sent) / Double(job.size) * 100))%" }
        var line = "#\(job.job.rawValue)  \(state.padding(toLength: 14, withPad: " ", startingAt: 0)) \(job.path)"
        if let remote = job.remoteID, job.state == .completed { line += "  → \(remote)" }
        if let error = job.error { line += "  (\(error.message))" }
        return line
    }

    static func json(_ job: JobSummary) -> String {
        var fields: [String: Any] = ["job": job.job.rawValue, "path": job.path, "state": job.state.rawValue, "size": job.size, "sent": job.sent]
        if let remote = job.remoteID { fields["remote"] = remote }
        if let md5 = job.md5 { fields["md5"] = md5 }
        if let error = job.error { fields["error"] = error.message; fields["error_code"] = error.codeName }
        let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
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
