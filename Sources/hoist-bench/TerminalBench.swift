import Foundation

/// How much the TUI writes to the terminal: hoist runs in tmux at 120×40 uploading 500
/// small files and one large one, and `pipe-pane` records every byte it writes. Over SSH
/// those bytes are the cost of watching.
struct TerminalBench {
    struct Figures: Sendable {
        var idleBefore: Double
        var uploading: Double
        var uploadBytes: Int
        var uploadSeconds: Double
        var idleAfter: Double
    }

    var workspace: BenchWorkspace
    var executable: String
    var smallFiles = 500
    var largeBytes = 256 << 20
    /// A rate limit long enough to watch, as on a real link (20 MB/s: about 13 s).
    var limitRate = "20M"
    var idleSeconds = 3.0
    /// The view attached to a background engine (`hoist engine`) instead of the engine in
    /// the view's own process: the same screen, the events over a Unix socket.
    var background = false

    func run(log: (String) -> Void) async throws -> Figures {
        let dir = workspace.root + "/terminal"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let small = Data(repeating: 0x61, count: 4096)
        for i in 0..<smallFiles { try small.write(to: URL(fileURLWithPath: String(format: "%@/small-%04d.txt", dir, i))) }
        let tmux = BenchTmux(workspace: workspace)
        try await tmux.shell("head -c \(largeBytes) /dev/urandom > \(dir)/large.bin")
        let record = workspace.root + "/out/terminal\(background ? "-attached" : "").bytes"
        var env = workspace.childEnvironment(run: background ? "terminal-attached" : "terminal")
        env["HOIST_ENGINE"] = background ? "background" : "foreground"
        env["TERM"] = "xterm-256color"
        env["LANG"] = "C.UTF-8"
        let assignments = env.sorted { $0.key < $1.key }.map { "\($0.key)=\(BenchTmux.quote($0.value))" }.joined(separator: " ")
        let command = "env \(assignments) \(BenchTmux.quote(executable)) \(BenchTmux.quote(dir)) --endpoint \(workspace.endpoint) "
            + "--dialect lightfield --api-key-env \(BenchWorkspace.keyVariable) --limit-rate \(limitRate)"
        try await tmux.start(command, columns: 120, rows: 40)
        return try await tmux.whileRunning {
            try await tmux.waitFor("large.bin", timeout: 30)
            try await tmux.record(to: record)
            func recorded() -> Int { ((try? FileManager.default.attributesOfItem(atPath: record))?[.size] as? Int) ?? 0 }

            log("terminal: idle for \(idleSeconds) s")
            try await Task.sleep(for: .seconds(idleSeconds))
            let idleBefore = Double(recorded()) / idleSeconds

            log("terminal: uploading \(smallFiles) small files and \(largeBytes >> 20) MiB at \(limitRate)/s")
            let before = recorded()
            let start = ContinuousClock.now
            try await tmux.send("a", "u")
            try await tmux.waitFor("\(smallFiles + 1)/\(smallFiles + 1) done", timeout: 300)
            let elapsed = (ContinuousClock.now - start).components
            let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
            let uploadBytes = recorded() - before

            let afterUpload = recorded()
            try await Task.sleep(for: .seconds(idleSeconds))
            let idleAfter = Double(recorded() - afterUpload) / idleSeconds
            try await tmux.send("q")
            // The background engine the view started (if any) goes with the bench.
            _ = try? await tmux.shell("env \(assignments) \(BenchTmux.quote(executable)) stop --now")
            return Figures(idleBefore: idleBefore, uploading: Double(uploadBytes) / seconds, uploadBytes: uploadBytes,
                           uploadSeconds: seconds, idleAfter: idleAfter)
        }
    }

    /// The figures as a table, with issue 4's targets.
    static func render(_ f: Figures, background: Bool = false) -> String {
        func row(_ a: String, _ b: String, _ c: String, _ d: String) -> String {
            a.padding(toLength: 34, withPad: " ", startingAt: 0) + b.padding(toLength: 36, withPad: " ", startingAt: 0)
                + c.padding(toLength: 14, withPad: " ", startingAt: 0) + d
        }
        return [
            row(background ? "terminal output, attached view" : "terminal output (tmux 120×40)", "measured", "target", "result"),
            String(repeating: "-", count: 92),
            row("idle, before uploading", String(format: "%.0f B/s", f.idleBefore), "0 B/s", f.idleBefore == 0 ? "PASS" : "MISS"),
            row("uploading 500 small + 1 large", String(format: "%.0f B/s (%d B in %.1f s)", f.uploading, f.uploadBytes, f.uploadSeconds),
                "≤ 1 KB/s", f.uploading <= 1000 ? "PASS" : "MISS"),
            row("idle, after uploading", String(format: "%.0f B/s", f.idleAfter), "0 B/s", f.idleAfter == 0 ? "PASS" : "MISS"),
        ].joined(separator: "\n")
    }
}
