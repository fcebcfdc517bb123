import HoistTerminal
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The real ncurses screen on a pseudo-terminal: what reaches the terminal, keys, signals
/// and the restore. One test, because ncurses allows one screen at a time.
@Suite("Curses screen on a pty")
struct CursesScreenTests {
    @Test("draws, sends only changes, reads keys, reports signals, restores the terminal")
    func smoke() throws {
        let pty = try #require(PseudoTerminal())
        let options = CursesScreen.Options(
            trappedSignals: [.hangup], restoresOnCrash: false,
            device: .descriptors(input: pty.slave, output: pty.slave, terminalType: "xterm-256color")
        )
        let screen = try CursesScreen(options: options)
        #expect(throws: TerminalError.alreadyActive) { _ = try CursesScreen(options: options) }
        #expect(screen.colorDepth == .xterm256)
        #expect(screen.size.rows > 0 && screen.size.columns > 0)

        screen.beginFrame()
        screen.draw("hoist smoke test", row: 1, column: 2, style: Style(foreground: .green, attributes: .bold))
        screen.draw("unchanged", row: 2, column: 2)
        screen.endFrame()
        let first = pty.output()
        #expect(first.contains("hoist smoke test"))
        #expect(first.contains("\u{1B}[?1049h"))  // alternate screen entered

        screen.beginFrame()
        screen.draw("hoist smoke test", row: 1, column: 2, style: Style(foreground: .green, attributes: .bold))
        screen.draw("unchanged", row: 2, column: 2)
        screen.endFrame()
        #expect(pty.output() == "")  // an identical frame sends nothing

        screen.beginFrame()
        screen.draw("hoist smoke best", row: 1, column: 2, style: Style(foreground: .green, attributes: .bold))
        screen.draw("unchanged", row: 2, column: 2)
        screen.endFrame()
        let third = pty.output()
        #expect(third.contains("b"))
        #expect(!third.contains("unchanged") && !third.contains("smoke"))

        pty.type("\u{1B}OA")
        #expect(screen.readKey(timeout: .seconds(2)) == .up)
        pty.type("q\t")
        #expect(screen.readKey(timeout: .seconds(2)) == .character("q"))
        #expect(screen.readKey(timeout: .seconds(2)) == .tab)
        #expect(screen.readKey(timeout: .milliseconds(50)) == nil)

        // kill, not raise: the test runs on a worker thread that blocks signals, and a
        // process-directed signal is what a real SIGHUP is anyway.
        kill(getpid(), SIGHUP)
        #expect(screen.readKey(timeout: .seconds(2)) == .signal(.hangup))

        screen.close()
        #expect(pty.output().contains("\u{1B}[?1049l"))  // alternate screen left
        #expect(screen.size == Size(rows: 0, columns: 0))
        #expect(screen.readKey(timeout: nil) == nil)  // closed: returns at once
        let reopened = try CursesScreen(options: options)
        reopened.close()
        _ = pty.output()
    }
}
