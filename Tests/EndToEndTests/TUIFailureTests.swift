import Foundation
import HoistServer
import HoistTestSupport
import Testing

/// Failures you can read and act on, in the real binary in tmux against a real server.
@Suite("hoist TUI in tmux: details, fail-fast, pre-flight", .serialized)
struct TUIFailureTests {
    @Test("Enter on a done row: the local path, the server's file id, each state with its time; Esc closes")
    func detailOverlay() async throws {
        try await TestServer.with { ts in
            let files = try makeFiles([("report.txt", 50_000)])
            try await TUIRun.with(server: ts, files: files) { run in
                try await run.tmux.wait(for: "report.txt")
                try await run.tmux.send("u")
                try await run.tmux.wait(for: "1/1 done")
                let id = try #require(try await serverFiles(ts, named: "report.txt").first?["id"] as? String)
                try await run.tmux.send("Tab", "Enter")
                let screen = try await run.tmux.wait(forAll: [
                    "report.txt (↑↓ scroll", standardized(files) + "/report.txt", "Remote    \(id)", "History", "creating a session",
                    "session \(id)", "uploading", "completing", "done: \(id)", "Retries   0",
                ])
                // Every state line carries a clock time and the seconds since the first.
                let states = screen.split(separator: "\n").filter { $0.contains("+") && $0.contains("s  ") }
                #expect(states.count >= 5, "\(screen)")
                try await run.tmux.send("Escape")
                try await run.tmux.wait(for: "detail closed", timeout: 5) { !$0.contains("History") }
                try await run.tmux.send("q")
                try await run.tmux.wait(for: "EXIT=0")
            }
        }
    }

    @Test("a refused port: one banner saying refused within 5 s, rows 'failed: refused', the whole reason in the details")
    func refusedFailsFast() async throws {
        try await TestServer.with { ts in
            let port = try closedPort()
            let files = try makeFiles([("a.txt", 1000), ("b.txt", 1000), ("c.txt", 1000), ("d.txt", 1000), ("e.txt", 1000), ("f.txt", 1000)])
            try await TUIRun.with(server: ts, files: files, endpoint: "http://127.0.0.1:\(port)") { run in
                try await run.tmux.wait(for: "f.txt")
                try await run.tmux.send("a", "u")
                let screen = try await run.tmux.wait(forAll: ["refused: connection refused by 127.0.0.1:\(port)", "Uploads paused"])
                // One banner, not one per file.
                #expect(screen.components(separatedBy: "Uploads paused").count == 2, "\(screen)")
                try await run.tmux.wait(for: "a row failed: refused") { queueHalf($0).contains { $0.contains("failed: refused") } }
                try await run.tmux.send("Tab", "g", "Enter")
                let details = try await run.tmux.wait(forAll: ["Error", "is the server running?", "State     failed: refused"])
                // Refused within 5 s of the attempt's start, on the engine's clock (the
                // history's offsets): a crowded machine can take seconds to start the job.
                let started = try #require(historyOffset(of: "creating a session", in: details), "\(details)")
                let failed = try #require(historyOffset(of: "refused", in: details), "\(details)")
                #expect(failed - started < 5, "refused \(failed - started) s after the attempt began:\n\(details)")
                try await run.tmux.send("Escape", "q")
                try await run.tmux.wait(for: "EXIT=")
            }
        }
    }

    @Test("pre-flight: unreadable and empty files are marked with the reason and refused at u; no session on the server; an unreadable directory is an error in the status line")
    func preflightMarks() async throws {
        guard let prefix = withoutReadOverride() else {
            Issue.record("running as root without setpriv: cannot make a file unreadable")
            return
        }
        try await TestServer.with { ts in
            let files = try makeFiles([("ok.txt", 1000), ("secret.txt", 1000), ("empty.txt", 0)])
            try FileManager.default.createDirectory(atPath: files + "/locked", withIntermediateDirectories: true)
            chmod(files + "/secret.txt", 0)
            chmod(files + "/locked", 0)
            defer {
                chmod(files + "/secret.txt", 0o644)
                chmod(files + "/locked", 0o755)
            }
            // Wide enough that the status line holds the whole error, scratch path and all.
            try await TUIRun.with(server: ts, files: files, columns: 140, prefix: prefix) { run in
                let screen = try await run.tmux.wait(forAll: ["ok.txt", "secret.txt", "empty.txt"])
                let browser = screen.split(separator: "\n").map { String($0.components(separatedBy: "││").first ?? "") }
                let secret = browser.first { $0.contains("secret.txt") } ?? ""
                let empty = browser.first { $0.contains("empty.txt") } ?? ""
                let ok = browser.first { $0.contains("ok.txt") } ?? ""
                #expect(secret.hasPrefix("│! secret.txt") && secret.contains("unreadable"), "\(secret)")
                #expect(empty.hasPrefix("│! empty.txt") && empty.contains("empty"), "\(empty)")
                #expect(ok.hasPrefix("│  ok.txt"), "\(ok)")
                // The cursor starts on locked/: opening it and queueing it are errors in the status line.
                try await run.tmux.send("Enter")
                try await run.tmux.wait(for: "cannot open \(standardized(files))/locked: Permission denied")
                try await run.tmux.send("u")
                try await run.tmux.wait(for: "not queued: \(standardized(files))/locked: cannot read directory")
                try await run.tmux.send("a", "u")
                try await run.tmux.wait(forAll: ["queued ok.txt; not queued: ", "secret.txt (unreadable)", "empty.txt (empty)"])
                try await run.tmux.wait(for: "1/1 done")
                let names = try await serverFiles(ts).compactMap { $0["filename"] as? String }
                #expect(names == ["ok.txt"], "sessions on the server: \(names)")
                try await run.tmux.send("q")
                try await run.tmux.wait(for: "EXIT=0")
            }
        }
    }
}

/// `path` as hoist shows it: no doubled slashes, no `.` or `..`.
func standardized(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }
