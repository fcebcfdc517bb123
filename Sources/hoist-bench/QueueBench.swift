import Foundation
import Synchronization

/// A queue of many files (issue 12): one `hoist upload DIR --json` over `count` tiny files,
/// as a script would run it. How soon its first session exists, the client's peak RSS
/// over the whole run, and the lifecycles per second to the end.
struct QueueBench: Sendable {
    let workspace: BenchWorkspace
    let executable: String
    let count: Int
    let jobs: Int
    let timeout: Duration
    /// Through the background engine, as `hoist upload` runs by default: the client is then
    /// a thin one, and its first `session` line waits for the engine to say the first
    /// batch's job ids.
    var background = false

    /// Targets: the first session within 1 s of the command; the client within 64 MiB.
    static let maximumFirstSession: Duration = .seconds(1)
    static let maximumPeakRSS: Int64 = 64 << 20

    struct Result: Sendable {
        var files: Int
        var completed: Int
        /// From spawning `hoist upload` to its first `session` line: the server had created
        /// that session before hoist printed it, so this is an upper bound.
        var firstSession: Duration
        var elapsed: Duration
        var peakRSS: Int64
        var cpu: Duration
    }

    func run(log: (String) -> Void) async throws -> Result {
        let name = background ? "queue-background" : "queue"
        let directory = workspace.sourceDirectory + "/" + name
        log("\(name): writing \(count.formatted()) files")
        try Self.writeTinyFiles(in: directory, count: count)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let out = workspace.outputDirectory + "/\(name).ndjson"
        var child = workspace.client(
            executable, ["upload", "--endpoint", workspace.endpoint, "--dialect", "lightfield",
                         "--api-key-env", BenchWorkspace.keyVariable, "--purpose", "general",
                         "--jobs", String(jobs), "--json", directory],
            run: name, name: name, timeout: timeout, stdoutPath: out)
        if background { child.environment["HOIST_ENGINE"] = "background" }
        child.breakdownAbove = Self.maximumPeakRSS
        return try await workspace.stoppingEngine(if: background, executable, run: name) {
            try await measure(child, out: out, name: name, log: log)
        }
    }

    private func measure(_ child: ChildProcess, out: String, name: String, log: (String) -> Void) async throws -> Result {
        let spawned = ContinuousClock.now
        let ended = Ended()
        let running = Task {
            defer { ended.set() }
            return try await child.run()
        }
        let firstSession = try await Self.firstSession(in: out, since: spawned, until: ended)
        let outcome = try await running.value
        guard outcome.succeeded else { throw BenchError("hoist upload of the queue failed (\(outcome.summary))") }
        let completed = HoistChild.completedCount(ndjson: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
        guard let firstSession else { throw BenchError("hoist upload of the queue printed no session") }
        log("\(name): first session after \(Report.seconds(firstSession)), \(completed) completed in \(Report.seconds(outcome.elapsed)), "
            + "peak RSS \(Report.mebibytes(outcome.peakRSS))" + outcome.aboveTarget)
        return Result(files: count, completed: completed, firstSession: firstSession, elapsed: outcome.elapsed,
                      peakRSS: outcome.peakRSS, cpu: outcome.cpu)
    }

    /// Follows the NDJSON file as the child writes it, every 5 ms, until its first `session`
    /// event; nil when the child ended without one.
    private static func firstSession(in path: String, since start: ContinuousClock.Instant, until ended: Ended) async throws -> Duration? {
        let marker = Array(#""event":"session""#.utf8)
        var offset: UInt64 = 0
        var carry: [UInt8] = []
        while true {
            // Read after learning whether the child ended, so its last lines are read too.
            let childEnded = ended.isSet
            if let handle = FileHandle(forReadingAtPath: path) {
                defer { try? handle.close() }
                try handle.seek(toOffset: offset)
                if let data = try handle.readToEnd(), !data.isEmpty {
                    let seen = ContinuousClock.now
                    offset += UInt64(data.count)
                    let bytes = carry + Array(data)
                    if bytes.firstRange(of: marker) != nil { return seen - start }
                    carry = Array(bytes.suffix(marker.count))
                }
            }
            if childEnded { return nil }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Set once the child has ended (awaiting its task would wait for the end itself).
    final class Ended: Sendable {
        private let flag = Mutex(false)
        func set() { flag.withLock { $0 = true } }
        var isSet: Bool { flag.withLock { $0 } }
    }

    /// `count` files of a few bytes each, all different, in one directory.
    static func writeTinyFiles(in directory: String, count: Int) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for index in 0..<count {
            let path = directory + "/" + String(format: "q-%06d.txt", index)
            let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw BenchError("cannot create \(path): \(String(cString: strerror(errno)))") }
            let line = "queued file \(index)\n"
            let written = line.utf8CString.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count - 1) }
            close(descriptor)
            guard written > 0 else { throw BenchError("cannot write \(path)") }
        }
    }

    /// The queue's rows, in the bench's table style.
    static func render(_ result: Result, jobs: Int, background: Bool = false) -> String {
        let firstPasses = result.firstSession <= maximumFirstSession
        let rssPasses = result.peakRSS <= maximumPeakRSS
        let rows: [[String]] = [
            [(background ? "background engine, " : "") + "queue of \(result.files.formatted()) files", "hoist", "target", "result"],
            ["first session after the command", Report.seconds(result.firstSession),
             "≤ " + Report.seconds(maximumFirstSession), Report.verdict(firstPasses)],
            ["client peak RSS", Report.mebibytes(result.peakRSS), "≤ " + Report.mebibytes(maximumPeakRSS), Report.verdict(rssPasses)],
            ["whole queue", Report.seconds(result.elapsed) + "  "
                + String(format: "%.0f files/s", Double(result.completed) / max(result.elapsed.seconds, 1e-9)), "", ""],
            ["client CPU per file", String(format: "%.0f µs", result.cpu.seconds * 1e6 / Double(max(result.files, 1))), "", ""],
        ]
        var lines = Report.table(rows)
        if background {
            lines += [
                "",
                "hoist = the same `hoist upload` through the background engine (HOIST_ENGINE=background, as by default),",
                "        which it starts; the client prints what the engine does. \(result.completed.formatted()) completed.",
                "first session = spawn to the client's first `session` line: it waits for the first batch's job ids,",
                "        which the engine sends as it queues each batch (the walk held at the backlog).",
                "peak RSS = the client's own VmHWM; the engine is another process, not counted.",
            ]
        } else {
            lines += [
                "",
                "hoist = one `hoist upload DIR --jobs \(jobs) --json` (foreground engine) over \(result.files.formatted()) files of a few bytes",
                "        in one directory, to the bench's in-process server; \(result.completed.formatted()) completed.",
                "first session = spawn to hoist's first `session` line (the server created it before), read every 5 ms.",
                "peak RSS = the client's own VmHWM over the whole run (sampled every 20 ms).",
            ]
        }
        return lines.joined(separator: "\n")
    }
}
