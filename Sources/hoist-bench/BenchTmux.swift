import Foundation

/// A tmux server of the bench's own (its own socket) running one window, read and typed
/// into as a person would: `capture-pane` reads tmux's copy of the screen and writes
/// nothing to the pane, `send-keys` types.
struct BenchTmux: Sendable {
    let socket = "hoist-bench-\(UUID().uuidString.prefix(8))"
    let workspace: BenchWorkspace

    /// Starts `command` (a shell line) in a `columns`×`rows` window.
    func start(_ command: String, columns: Int, rows: Int) async throws {
        try await tmux("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", String(columns), "-y", String(rows), command)
    }

    /// The screen as text.
    func screen() async throws -> String {
        try await tmux("capture-pane", "-p", "-t", "t")
    }

    /// Types keys, in tmux's names (`Escape`, `Down`) or literal text.
    func send(_ keys: String...) async throws {
        try await tmux(["send-keys", "-t", "t"] + keys)
    }

    /// Records every byte the pane's program writes, appended to `path`.
    func record(to path: String) async throws {
        try await tmux("pipe-pane", "-o", "-t", "t", "cat >> " + Self.quote(path))
    }

    /// The pid of the pane's program (tmux's shell execs a single command, and `env` execs
    /// the program it runs).
    func panePID() async throws -> pid_t? {
        pid_t(try await tmux("display", "-p", "-t", "t", "#{pane_pid}").trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Polls the screen every `interval` until it holds `text`; the time that took.
    @discardableResult
    func waitFor(_ text: String, timeout: Double, every interval: Duration = .milliseconds(250)) async throws -> Duration {
        try await waitFor(timeout: timeout, every: interval) { $0.contains(text) }
    }

    /// Polls the screen every `interval` until `holds` says yes; the time that took.
    @discardableResult
    func waitFor(timeout: Double, every interval: Duration = .milliseconds(250),
                 _ holds: (String) -> Bool) async throws -> Duration {
        let start = ContinuousClock.now
        let deadline = start + .seconds(timeout)
        var last = ""
        while ContinuousClock.now < deadline {
            last = try await screen()
            if holds(last) { return ContinuousClock.now - start }
            try await Task.sleep(for: interval)
        }
        throw BenchError("the TUI's screen never showed what was awaited; it showed:\n\(last)")
    }

    /// Runs a shell line to its end; its stdout.
    @discardableResult
    func shell(_ command: String) async throws -> String {
        try await run("/bin/bash", ["-c", command])
    }

    /// Runs `body`, then stops this tmux server whatever happened. (A `defer` cannot wait,
    /// and a task started from one may never run before the bench exits: the program in
    /// the window was left running, uploading, through the next benches.)
    func whileRunning<T>(_ body: () async throws -> T) async throws -> T {
        do {
            let result = try await body()
            await kill()
            return result
        } catch {
            await kill()
            throw error
        }
    }

    func kill() async {
        _ = try? await tmux("kill-server")
    }

    /// Runs `tmux -L SOCKET arguments…` to its end (no shell between: a poll of the screen
    /// costs one spawn); its stdout.
    @discardableResult
    func tmux(_ arguments: String...) async throws -> String {
        try await tmux(arguments)
    }

    @discardableResult
    func tmux(_ arguments: [String]) async throws -> String {
        try await run("tmux", ["-L", socket] + arguments)
    }

    private func run(_ executable: String, _ arguments: [String]) async throws -> String {
        let out = workspace.outputDirectory + "/tmux-\(socket).out"
        let outcome = try await ChildProcess(
            executable: executable, arguments: arguments, environment: ProcessInfo.processInfo.environment,
            stdoutPath: out, stderrPath: workspace.outputDirectory + "/tmux-\(socket).err", timeout: .seconds(60)
        ).run()
        let line = ([executable] + arguments).joined(separator: " ")
        guard outcome.succeeded else { throw BenchError("`\(line.prefix(80))` failed: \(outcome.summary)") }
        return (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
    }

    static func quote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
