import Foundation
import HoistTestSupport
import Testing

/// The TUI on terminals that are not a UTF-8, colour xterm: none at all, `dumb`, an unknown
/// type, a non-UTF-8 locale, a terminal without colours.
@Suite("hoist on every kind of terminal", .serialized)
struct TerminalKindTests {
    @Test("no terminal (piped output, input from /dev/null): a clear message naming hoist upload, exit 2, no crash")
    func noTerminal() async throws {
        let bin = try HoistBinary.require()
        let home = try TempDirectory.make(prefix: "hoist-noterm")
        for line in ["'\(bin)' | cat; exit ${PIPESTATUS[0]}", "'\(bin)' </dev/null"] {
            let result = try await Shell.run("cd '\(home)' && HOME='\(home)' XDG_DATA_HOME='\(home)/data' \(line)")
            #expect(result.status == 2, "\(line): \(result.stderr)")
            #expect(result.stderr.contains("not a terminal"))
            #expect(result.stderr.contains("hoist upload"))
            #expect(!result.stderr.contains("Fatal error"))
            #expect(!result.stderr.contains("Backtrac"))
        }
    }

    @Test("TERM=dumb and an unknown TERM: the reason, hoist upload for scripts, exit 2, no crash")
    func dumbAndUnknown() async throws {
        try await TestServer.with { server in
            let files = try makeFiles([("a.txt", 10)])
            for (term, reason) in [("dumb", "TERM=dumb"), ("no-such-terminal-type", "unknown terminal type 'no-such-terminal-type'")] {
                try await TUIRun.with(server: server, files: files, environment: ["TERM": term]) { run in
                    let screen = try await run.tmux.wait(for: "EXIT=")
                    #expect(screen.contains("EXIT=2"), "\(screen)")
                    #expect(screen.contains(reason), "\(screen)")
                    #expect(screen.contains("hoist upload"))
                    #expect(!screen.contains("Fatal error"))
                }
            }
        }
    }

    @Test("a non-UTF-8 locale: non-ASCII names drawn as ?, one cell each; no raw bytes; ASCII borders line up")
    func asciiLocale() async throws {
        try await TestServer.with { server in
            let files = try makeFiles([("写真 2026.png", 10), ("café.txt", 10), ("plain.txt", 10)])
            try await TUIRun.with(server: server, files: files, environment: ["LANG": "C", "LC_ALL": "C"]) { run in
                let screen = try await run.tmux.wait(forAll: ["?? 2026.png", "caf?.txt", "plain.txt"])
                #expect(!screen.contains("写"))
                #expect(!screen.contains("é"))
                // Every row of the browser ends its border at the same column.
                let lines = screen.split(separator: "\n").filter { $0.contains("2026.png") || $0.contains("plain.txt") }
                let borders = Set(lines.map { line in line.dropFirst().firstIndex(of: "|").map { line.distance(from: line.startIndex, to: $0) } })
                #expect(borders.count == 1, "\(lines)")
            }
        }
    }

    @Test("TERM=vt100 (no colours): the selection is shown in reverse video")
    func noColours() async throws {
        try await TestServer.with { server in
            let files = try makeFiles([("alpha.txt", 10), ("beta.txt", 10)])
            try await TUIRun.with(server: server, files: files, environment: ["TERM": "vt100"]) { run in
                try await run.tmux.wait(forAll: ["alpha.txt", "beta.txt"])
                let styled = try await run.tmux.styledScreen()
                let selected = styled.split(separator: "\n").first { $0.contains("alpha.txt") } ?? ""
                let other = styled.split(separator: "\n").first { $0.contains("beta.txt") } ?? ""
                #expect(Self.hasReverse(selected), "\(selected.debugDescription)")
                #expect(!Self.hasReverse(other), "\(other.debugDescription)")
                try await run.tmux.send("Down")
                #expect(await waitUntil {
                    let moved = (try? await run.tmux.styledScreen()) ?? ""
                    return moved.split(separator: "\n").first { $0.contains("beta.txt") }.map(Self.hasReverse) ?? false
                })
            }
        }
    }

    /// Whether a line captured with `capture-pane -e` turns reverse video on (SGR 7).
    static func hasReverse(_ line: some StringProtocol) -> Bool {
        line.split(separator: "\u{1B}").contains { sequence in
            guard sequence.hasPrefix("["), let end = sequence.firstIndex(of: "m") else { return false }
            return sequence[sequence.index(after: sequence.startIndex)..<end].split(separator: ";").contains("7")
        }
    }
}
