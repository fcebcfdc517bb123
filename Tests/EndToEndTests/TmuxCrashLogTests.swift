import Foundation
import HoistTestSupport
import Testing

@Suite("tmux panes keep a crash's backtrace")
struct TmuxCrashLogTests {
    /// A pane shows only its last rows, and a view that crashed in CI left the bottom frames
    /// of its backtrace and nothing naming the cause; the runtime writes it to a file now.
    @Test("hoist sent SIGSEGV in a pane leaves its whole backtrace in a file, and a wait that times out includes it")
    func crashInAPane() async throws {
        let data = try TempDirectory.make(prefix: "hoist-crash")
        let tmux = try await Tmux(Tmux.quote(try HoistBinary.require()) + " serve --data " + Tmux.quote(data) + " --port 0")
        try await withAwaitedCleanup(tmux, cleanup: { await $0.kill() }) { tmux in
            try await tmux.wait(for: "listening on http://127.0.0.1:")
            #expect(tmux.crashLogs().isEmpty)
            let killed = try await Shell.run("pkill -SEGV -f -- " + Tmux.quote("serve --data " + data))
            #expect(killed.status == 0)
            // Written once symbolicated (seconds for the debug binary). A signal sent from
            // outside, unlike a fault, does not come again when the handler returns: the
            // runtime's handler writes the log and the server runs on.
            let written = await waitUntil(timeout: 120) { tmux.crashLogs().contains("Registers") }
            #expect(written)
            let logs = tmux.crashLogs()
            #expect(logs.contains("--- crash log hoist-") && logs.contains("Program crashed") && logs.contains("Thread 0"), "\(logs.prefix(2000))")
            let timedOut = await #expect(throws: ChildProcessError.self) { try await tmux.wait(for: "never shown", timeout: 0.2) }
            #expect(timedOut.map { "\($0)" }?.contains("--- crash log hoist-") == true)
        }
    }
}
