import Foundation
import HoistServer
import HoistTestSupport
import Testing

/// The real binary in a real terminal (tmux), against the real server.
@Suite("hoist TUI in tmux", .serialized)
struct TUITests {
    @Test("mark three files, upload them, see them done on screen and COMPLETED with the right md5 on the server")
    func uploadThree() async throws {
        try await TestServer.with { ts in
            let files = try makeFiles([("one.txt", 1000), ("two.bin", 200_000), ("three.dat", 3_000_000)])
            try await TUIRun.with(server: ts, files: files) { run in
                try await run.tmux.wait(for: "three.dat")
                try await run.tmux.send("a", "u")
                // Each file's own queue row reaches done: browser rows show sizes, the status line no names.
                try await run.tmux.wait(for: "every row done") { screen in
                    screen.contains("3/3 done") && ["one.txt", "two.bin", "three.dat"].allSatisfy { name in
                        // A line holds a browser row and a queue row side by side: look at the queue's half.
                        screen.split(separator: "\n").contains { line in
                            let queue = line.components(separatedBy: "││").last ?? ""
                            return queue.contains(name) && queue.contains(" done ")
                        }
                    }
                }
                for name in ["one.txt", "two.bin", "three.dat"] {
                    let rows = try await serverFiles(ts, named: name)
                    #expect(rows.count == 1)
                    #expect(rows.first?["status"] as? String == "COMPLETED")
                    let local = try Data(contentsOf: URL(fileURLWithPath: files + "/" + name))
                    #expect(rows.first?["md5"] as? String == MD5Hex.of(local))
                }
                try await run.tmux.send("q")
                let after = try await run.tmux.wait(for: "EXIT=0")
                #expect(!after.contains("┌"), "the panes are still on screen after quitting:\n\(after)")
            }
        }
    }

    @Test("c in the queue cancels a slow upload; the server shows it CANCELLED within a second")
    func cancelSlow() async throws {
        try await TestServer.with { ts in
            try await TUIRun.slowUpload(server: ts) { run in
                let (status, slowest) = try await slowestRoundTrip(to: ts) {
                    try await run.tmux.send("Tab", "c")
                    var status: String?
                    try await waitUntil(timeout: 30, every: .milliseconds(25)) {
                        status = try await serverFiles(ts, named: "slow.bin").first?["status"] as? String
                        return status == "CANCELLED"
                    }
                    try await run.tmux.wait(for: "cancelled")
                    return status
                }
                #expect(status == "CANCELLED", "30 s after c the server says \(status ?? "nothing")")
                // The second, on hoist's own clock: the row's history keeps the moment c was
                // read and the cancel's end, which comes once the server has answered. A
                // crowded machine's delays in tmux, in starting to read the key and in this
                // test's polling are not the product's.
                try await run.tmux.send("Enter")
                let details = try await run.tmux.wait(forAll: ["History", "cancel asked", "s  cancelled"])
                let asked = try #require(historyOffset(of: "cancel asked", in: details), "\(details)")
                let cancelled = try #require(historyOffset(of: "s  cancelled", in: details), "\(details)")
                let allowed = try #require(cancelAllowance(details, slowest: slowest), "\(details)")
                #expect(cancelled >= asked && cancelled - asked < allowed, "the cancel took \(cancelled - asked) s of \(allowed):\n\(details)")
                try await run.tmux.send("Escape", "q")
                try await run.tmux.wait(for: "EXIT=0")
            }
        }
    }

    @Test("c when the server refuses the cancel (503): the row says cancelled locally, the status line why, and the session is still PENDING there")
    func cancelTheServerDidNotTake() async throws {
        try await TestServer.with { ts in
            try await FaultProxy.with(upstream: ts.baseURL) { proxy in
                proxy.inject(.status(503), on: "/cancel HTTP", times: 100)
                let files = try makeFiles([("slow.bin", 4_000_000)])
                try await TUIRun.with(server: ts, files: files, extra: ["--limit-rate", "200K"], endpoint: proxy.baseURL) { run in
                    try await run.tmux.wait(for: "slow.bin")
                    try await run.tmux.send("u")
                    try await run.tmux.wait(for: "uploading")
                    try await run.tmux.send("Tab", "c")
                    let screen = try await run.tmux.wait(forAll: ["cancelled locally", "cancelled slow.bin locally; the server has not taken the cancel yet"])
                    #expect(proxy.faultsFired >= 1, "\(screen)")
                    #expect(try await serverFiles(ts, named: "slow.bin").first?["status"] as? String == "PENDING")
                    // The detail says why, and what hoist will do.
                    try await run.tmux.send("Enter")
                    try await run.tmux.wait(forAll: ["History", "still open on the server", "503"])
                    try await run.tmux.send("Escape", "q")
                    try await run.tmux.wait(for: "EXIT=0")
                }
            }
        }
    }

    @Test("resize to 50×12 shows 'terminal too small', back to 100×30 shows the panes; no crash")
    func resize() async throws {
        try await TestServer.with { ts in
            let files = try makeFiles([("a.txt", 10)])
            try await TUIRun.with(server: ts, files: files) { run in
                try await run.tmux.wait(for: "a.txt")
                try await run.tmux.resize(columns: 50, rows: 12)
                try await run.tmux.wait(for: "terminal too small")
                try await run.tmux.resize(columns: 100, rows: 30)
                try await run.tmux.wait(forAll: ["Nothing queued", "a.txt"])
                try await run.tmux.send("q")
                try await run.tmux.wait(for: "EXIT=0")
            }
        }
    }

    @Test("? opens the help overlay generated from the key map; Escape closes it")
    func help() async throws {
        try await TestServer.with { ts in
            try await TUIRun.with(server: ts, files: try makeFiles([("a.txt", 10)])) { run in
                try await run.tmux.wait(for: "a.txt")
                try await run.tmux.send("?")
                try await run.tmux.wait(forAll: ["Keys (Esc closes)", "cancel upload", "filter by name", "mark / unmark", "Ctrl-C"])
                try await run.tmux.send("Escape")
                try await run.tmux.wait(for: "help closed", timeout: 5) { !$0.contains("Keys (Esc closes)") }
                try await run.tmux.send("q")
                try await run.tmux.wait(for: "EXIT=0")
            }
        }
    }

    @Test("q while uploading asks; y cancels the sessions on the server and restores the terminal")
    func quitAsks() async throws {
        try await TestServer.with { ts in
            try await TUIRun.slowUpload(server: ts) { run in
                try await run.tmux.send("q")
                try await run.tmux.wait(for: "Quit hoist?")
                try await run.tmux.send("y")
                let after = try await run.tmux.wait(for: "EXIT=0")
                #expect(!after.contains("Quit hoist?"))
                #expect(try await serverFiles(ts, named: "slow.bin").first?["status"] as? String == "CANCELLED")
            }
        }
    }

    @Test("Ctrl-C twice quits at once, cancelling pending sessions")
    func doubleInterrupt() async throws {
        try await TestServer.with { ts in
            try await TUIRun.slowUpload(server: ts) { run in
                try await run.tmux.send("C-c")
                try await run.tmux.wait(for: "Quit hoist?")
                try await run.tmux.send("C-c")
                try await run.tmux.wait(for: "EXIT=0")
                #expect(try await serverFiles(ts, named: "slow.bin").first?["status"] as? String == "CANCELLED")
            }
        }
    }

    @Test("SIGTERM and SIGHUP restore the terminal and exit 128+signal; the next start shows the job paused; p resumes it to done",
          arguments: [SIGTERM, SIGHUP])
    func signalResume(signal: Int32) async throws {
        try await TestServer.with { ts in
            let files = try makeFiles([("resume.bin", 1_500_000)])
            try await TUIRun.with(server: ts, files: files, extra: ["--limit-rate", "300K"]) { first in
                try await first.tmux.wait(for: "resume.bin")
                try await first.tmux.send("u")
                try await first.tmux.wait(for: "uploading")
                kill(try await first.pid(), signal)
                let after = try await first.tmux.wait(for: "EXIT=\(128 + signal)")
                #expect(!after.contains("┌"))

                try await TUIRun.with(server: ts, files: files, home: first.home) { second in
                    try await second.tmux.wait(forAll: ["paused: p resumes", "resume.bin", "queued"])
                    try await second.tmux.send("p")
                    try await second.tmux.wait(for: "1/1 done")
                    let rows = try await serverFiles(ts, named: "resume.bin")
                    #expect(rows.filter { $0["status"] as? String == "COMPLETED" }.count == 1)
                    #expect(rows.filter { $0["status"] as? String == "PENDING" }.isEmpty)
                    try await second.tmux.send("q")
                    try await second.tmux.wait(for: "EXIT=0")
                }
            }
        }
    }

    @Test("--ascii draws [###---] bars and +-| borders")
    func ascii() async throws {
        try await TestServer.with { ts in
            try await TUIRun.with(server: ts, files: try makeFiles([("a.txt", 10)]), extra: ["--ascii"]) { run in
                try await run.tmux.wait(for: "a.txt")
                try await run.tmux.send("u")
                let screen = try await run.tmux.wait(forAll: ["1/1 done", "[#"])
                #expect(screen.hasPrefix("+-"))
                #expect(!screen.contains("┌"))
                try await run.tmux.send("q")
                try await run.tmux.wait(for: "EXIT=0")
            }
        }
    }
}
