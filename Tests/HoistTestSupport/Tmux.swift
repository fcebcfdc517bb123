import Foundation

/// A real terminal for tests: a tmux server of its own (its own socket), one window
/// running a command, keys typed with send-keys and the screen read with capture-pane.
public final class Tmux: Sendable {
    private let socket = "hoist-test-\(UUID().uuidString.prefix(8))"
    /// Where the Swift runtime writes the backtrace of a program in the pane that crashes
    /// (and of any it starts, such as a background engine).
    private var crashes: String { TempDirectory.file(socket + ".crashes") }

    /// Starts `command` (a shell line) in a `columns`×`rows` terminal. After the command
    /// ends, the window prints `EXIT=<status>` and stays, so tests can read both.
    public init(_ command: String, columns: Int = 100, rows: Int = 30) async throws {
        // A crash's backtrace goes to a file of its own: in the pane, the screen keeps only
        // its last rows (a view that crashed in CI left its bottom frames and nothing that
        // named the cause). `wait` puts every such file in its error.
        try FileManager.default.createDirectory(atPath: crashes, withIntermediateDirectories: true)
        let backtrace = "SWIFT_BACKTRACE=enable=yes,interactive=no,threads=all,output-to=\(crashes)"
        let line = "export \(Self.quote(backtrace)); \(command); echo EXIT=$?; sleep 600"
        // The tmux server outlives this call: it must not keep any descriptor of the test
        // process's (a pipe's write end would hold some reader's "end of output" back
        // forever), so every descriptor above 2 is closed first.
        let log = TempDirectory.file(socket + Self.logSuffix)
        let closeInherited = #"for fd in $(ls /proc/$$/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done 2>/dev/null; "#
        // The test process spawns from threads that block most signals, and a child keeps
        // that mask: the program in the pane would never get the SIGHUP of `kill()` (a
        // terminal that goes away), and tmux's server would wait forever for it. The server
        // starts with no signal blocked, as under a login shell.
        let unblocked = "python3 -c " + Self.quote(
            "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execvp(sys.argv[1], sys.argv[1:])")
        let result = try await Shell.run(closeInherited + unblocked
            + " tmux -L \(socket) -f /dev/null new-session -d -s t -x \(columns) -y \(rows) \(Self.quote(line)) >\(log) 2>&1")
        guard result.status == 0 else {
            throw ChildProcessError(description: "tmux: " + ((try? String(contentsOfFile: log, encoding: .utf8)) ?? ""))
        }
    }

    /// Types keys, in tmux's names (`Tab`, `Escape`, `C-c`, `Down`) or literal text.
    public func send(_ keys: String...) async throws {
        _ = try await Shell.run("tmux -L \(socket) send-keys -t t " + keys.map(Self.quote).joined(separator: " "))
    }

    /// The screen as text.
    public func screen() async throws -> String {
        try await Shell.run("tmux -L \(socket) capture-pane -p -t t").stdout
    }

    /// The screen with its attributes and colours as SGR escape sequences (`capture-pane -e`).
    public func styledScreen() async throws -> String {
        try await Shell.run("tmux -L \(socket) capture-pane -p -e -t t").stdout
    }

    /// Waits until the screen satisfies `condition`; returns it, or throws with the last screen.
    @discardableResult
    public func wait(for description: String, timeout: TimeInterval = 60, _ condition: (String) -> Bool) async throws -> String {
        var last = ""
        let seen = try await waitUntil(timeout: timeout, every: .milliseconds(50)) {
            last = try await screen()
            return condition(last)
        }
        if seen { return last }
        throw ChildProcessError(description: "timed out waiting for \(description); the screen was:\n\(last)" + crashLogs())
    }

    /// Waits until `text` is on screen.
    @discardableResult
    public func wait(for text: String, timeout: TimeInterval = 60) async throws -> String {
        try await wait(for: "'\(text)'", timeout: timeout) { $0.contains(text) }
    }

    /// Waits until every one of `texts` is on screen at once. Checking the others after
    /// waiting for one can catch a frame tmux has only half received.
    @discardableResult
    public func wait(forAll texts: [String], timeout: TimeInterval = 60) async throws -> String {
        try await wait(for: texts.map { "'\($0)'" }.joined(separator: ", "), timeout: timeout) { screen in
            texts.allSatisfy(screen.contains)
        }
    }

    public func resize(columns: Int, rows: Int) async throws {
        _ = try await Shell.run("tmux -L \(socket) resize-window -t t -x \(columns) -y \(rows)")
    }

    /// Ends the tmux server and everything in it: the program in the pane gets SIGHUP, as
    /// when a terminal (an SSH connection) goes away.
    public func kill() async {
        _ = try? await Shell.run("tmux -L \(socket) kill-server")
    }

    /// Every backtrace a crash in the pane left, each after a header naming its file; empty
    /// when nothing crashed.
    public func crashLogs() -> String {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: crashes)) ?? []).sorted()
        return names.map { name in
            let text = (try? String(contentsOfFile: crashes + "/" + name, encoding: .utf8)) ?? "(unreadable)"
            return "\n--- crash log \(name):\n" + text
        }.joined()
    }

    /// The end of the name of a server's log in the test root: `<socket>.tmux.log`. The
    /// root's watchdog ends the server of every such log once the test process is gone.
    static let logSuffix = ".tmux.log"

    /// `text` quoted for the shell.
    public static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
