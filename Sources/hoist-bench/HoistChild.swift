import Foundation

/// `hoist upload` run as a child process against the bench's server, exactly as a script
/// would run it, so its time and peak RSS are the client's alone.
struct HoistChild: Sendable {
    /// The release `hoist` binary.
    let executable: String
    let workspace: BenchWorkspace
    let timeout: Duration

    /// What one `hoist upload` came to.
    struct Result: Sendable {
        var outcome: ChildProcess.Outcome
        /// `completed` events on stdout: files the server accepted `complete` for.
        var completed: Int
        /// The reasons of its `retrying` events, in order: a round that took a step twice
        /// says so beside its time and memory.
        var retries: [String]

        /// What a round's log line adds about its retries (nothing when there were none).
        var retried: String {
            guard let last = retries.last else { return "" }
            return "; \(retries.count) retr\(retries.count == 1 ? "y" : "ies") (last: \(last))"
        }
    }

    /// Uploads `paths` with `--json`, a journal of its own (`run` names it), and `jobs` at once.
    /// `jobs` nil: hoist's default (adaptive concurrency).
    func upload(_ paths: [String], jobs: Int?, run: String) async throws -> Result {
        let out = workspace.outputDirectory + "/hoist-\(run)"
        var child = workspace.client(
            executable,
            ["upload", "--endpoint", workspace.endpoint, "--dialect", "lightfield",
             "--api-key-env", BenchWorkspace.keyVariable, "--purpose", "general",
             "--json"] + (jobs.map { ["--jobs", String($0)] } ?? []) + paths,
            run: run, name: "hoist-\(run)", timeout: timeout, stdoutPath: out + ".ndjson")
        child.breakdownAbove = BenchPlan.maximumPeakRSS
        let outcome = try await child.run()
        let events = (try? String(contentsOfFile: out + ".ndjson", encoding: .utf8)) ?? ""
        let completed = Self.completedCount(ndjson: events)
        guard outcome.succeeded else {
            let errors = (try? String(contentsOfFile: out + ".err", encoding: .utf8)) ?? ""
            throw BenchError("hoist upload failed (\(outcome.summary)): \(errors.suffix(500))")
        }
        return Result(outcome: outcome, completed: completed, retries: Self.retryReasons(ndjson: events))
    }

    /// Counts `completed` events in `hoist upload --json` output.
    static func completedCount(ndjson: String) -> Int {
        ndjson.split(separator: "\n").count { $0.contains(#""event":"completed""#) }
    }

    /// The `reason` of each `retrying` event in `hoist upload --json` output.
    static func retryReasons(ndjson: String) -> [String] {
        ndjson.split(separator: "\n").compactMap { line in
            guard line.contains(#""event":"retrying""#),
                  let event = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            else { return nil }
            // On one log line whatever the reason holds.
            return (event["reason"] as? String ?? "no reason given").replacingOccurrences(of: "\n", with: " ")
        }
    }

    /// The `hoist` next to this executable, brought up to date first when this executable
    /// sits in a SwiftPM build directory: `swift run hoist-bench` builds only hoist-bench, and
    /// measuring a stale `hoist` would be measuring other code.
    static func prepare(environment: [String: String], log: (String) -> Void) async throws -> String {
        guard let me = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
            throw BenchError("cannot tell where hoist-bench runs from; pass --hoist PATH")
        }
        let directory = (me as NSString).deletingLastPathComponent  // <scratch>/<triple>/<configuration>
        let configuration = (directory as NSString).lastPathComponent
        let scratch = ((directory as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
        let package = (scratch as NSString).deletingLastPathComponent
        if FileManager.default.fileExists(atPath: package + "/Package.swift"), ["debug", "release"].contains(configuration) {
            log("building hoist (\(configuration)) so the binary measured is the code checked out")
            let build = ChildProcess(
                executable: "swift",
                arguments: ["build", "--package-path", package, "--scratch-path", scratch,
                            "-c", configuration, "--product", "hoist"],
                environment: environment, stdoutPath: "/dev/null", stderrPath: NSTemporaryDirectory() + "/hoist-bench-build.log",
                timeout: .seconds(1800))
            let outcome = try await build.run()
            guard outcome.succeeded else {
                throw BenchError("swift build --product hoist failed (\(outcome.summary)); see \(build.stderrPath)")
            }
        }
        let candidate = directory + "/hoist"
        guard FileManager.default.isExecutableFile(atPath: candidate) else {
            throw BenchError("no hoist binary next to hoist-bench; build it or pass --hoist PATH")
        }
        return candidate
    }
}
