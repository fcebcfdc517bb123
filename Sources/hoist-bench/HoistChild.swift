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
    }

    /// Uploads `paths` with `--json`, a journal of its own (`run` names it), and `jobs` at once.
    func upload(_ paths: [String], jobs: Int, run: String) async throws -> Result {
        let out = workspace.outputDirectory + "/hoist-\(run)"
        let child = ChildProcess(
            executable: executable,
            arguments: ["upload", "--endpoint", workspace.endpoint, "--dialect", "lightfield",
                        "--api-key-env", BenchWorkspace.keyVariable, "--purpose", "general",
                        "--jobs", String(jobs), "--json"] + paths,
            environment: workspace.childEnvironment(run: run),
            stdoutPath: out + ".ndjson", stderrPath: out + ".err", timeout: timeout)
        let outcome = try await child.run()
        let events = (try? String(contentsOfFile: out + ".ndjson", encoding: .utf8)) ?? ""
        let completed = Self.completedCount(ndjson: events)
        guard outcome.succeeded else {
            let errors = (try? String(contentsOfFile: out + ".err", encoding: .utf8)) ?? ""
            throw BenchError("hoist upload failed (\(outcome.summary)): \(errors.suffix(500))")
        }
        return Result(outcome: outcome, completed: completed)
    }

    /// Counts `completed` events in `hoist upload --json` output.
    static func completedCount(ndjson: String) -> Int {
        ndjson.split(separator: "\n").count { $0.contains(#""event":"completed""#) }
    }

    /// The `hoist` built next to this executable (same build directory, same configuration).
    static func locate() -> String? {
        guard let me = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        let candidate = (me as NSString).deletingLastPathComponent + "/hoist"
        return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
    }
}
