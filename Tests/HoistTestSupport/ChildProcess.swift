import Foundation

/// A program the test runs, its stdout and stderr captured in files the test reads.
public final class ChildProcess: Sendable {
    private let spawned: Spawned
    private let directory: String

    /// Starts `executable` with `arguments`.
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                directory: String? = nil) async throws {
        self.directory = try TempDirectory.make(prefix: "hoist-child")
        spawned = try await Spawned(executable, arguments, environment: environment, directory: directory,
                                    stdout: self.directory + "/stdout", stderr: self.directory + "/stderr")
    }

    /// The child's process id.
    public var processIdentifier: pid_t { spawned.processIdentifier }

    /// Whether it still runs.
    public var isRunning: Bool { spawned.isRunning }

    /// Everything on stdout so far.
    public func standardOutput() -> String {
        (try? String(contentsOfFile: directory + "/stdout", encoding: .utf8)) ?? ""
    }

    /// Everything on stderr so far.
    public func standardError() -> String {
        (try? String(contentsOfFile: directory + "/stderr", encoding: .utf8)) ?? ""
    }

    /// Stdout once `done` holds for it; throws when the child ended or `timeout` passed first.
    public func readStdout(until done: @Sendable (String) -> Bool, timeout: TimeInterval = 60) async throws -> String {
        // Read once more after the exit: the last lines may land just before it.
        let settled = await waitUntil(timeout: timeout) { done(standardOutput()) || !isRunning }
        let text = standardOutput()
        guard settled, done(text) else {
            throw ChildProcessError(description: "stdout \(isRunning ? "timed out" : "ended") before the expected output: \(text)")
        }
        return text
    }

    /// The first line the process writes on stdout.
    public func firstLine(timeout: TimeInterval = 60) async throws -> String {
        let text = try await readStdout(until: { $0.contains("\n") }, timeout: timeout)
        return String(text.prefix { $0 != "\n" })
    }

    public func send(_ signal: Int32) { spawned.send(signal) }

    /// Waits up to `timeout` seconds for the exit; the status, or nil if it still runs.
    public func waitForExit(timeout: TimeInterval = 60) async -> Int32? {
        await waitUntil(timeout: timeout) { !spawned.isRunning }
        return spawned.terminationStatus
    }

    deinit {
        spawned.send(SIGKILL)
        try? FileManager.default.removeItem(atPath: directory)
    }
}

public struct ChildProcessError: Error, CustomStringConvertible {
    public let description: String

    public init(description: String) { self.description = description }
}

/// Runs shell command lines, e.g. the seeds' curl examples as written.
public enum Shell {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// Runs `command` with bash in `directory`, to completion.
    ///
    /// Output goes through temporary files, not pipes: a daemon the command starts (tmux)
    /// inherits pipe descriptors and would keep "end of output" from ever arriving.
    public static func run(_ command: String, in directory: String? = nil) async throws -> Result {
        let base = TempDirectory.file("hoist-shell-\(UUID().uuidString)")
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        let line = directory.map { "cd \(Tmux.quote($0)) && \(command)" } ?? command
        let status = await (try Spawned("/bin/bash", ["-c", line], stdout: base + ".out", stderr: base + ".err")).status()
        let stdout = (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
        return Result(status: status, stdout: stdout, stderr: stderr)
    }
}

/// The `hoist` executable built by `swift build`.
public enum HoistBinary {
    /// `.build/debug/hoist` of this package, or the binary `HOIST_TEST_BINARY` names (CI
    /// runs the suites that use it again on the release build: some faults live only there).
    public static var path: String {
        if let chosen = ProcessInfo.processInfo.environment["HOIST_TEST_BINARY"], !chosen.isEmpty { return chosen }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/hoist").path
    }

    /// Fails clearly when the binary was not built (the README's test command builds it).
    public static func require() throws -> String {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw ChildProcessError(description: "\(path) is missing: run `swift build` before `swift test`")
        }
        return path
    }
}
