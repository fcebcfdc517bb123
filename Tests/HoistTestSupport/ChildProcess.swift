import Dispatch
import Foundation
import Synchronization

/// A program the test runs, with its output captured.
public final class ChildProcess: @unchecked Sendable {
    // Process is not Sendable; the tests touch one ChildProcess from one task at a time.
    public let process: Process
    private let stdoutPipe = Pipe()
    private let stderrPipe = Pipe()

    /// Starts `executable` with `arguments`.
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                directory: String? = nil) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        process.standardInput = FileHandle.nullDevice
        try ProcessLaunches.launch(process)
    }

    /// The first line the process writes on stdout, read off a non-cooperative thread.
    public func firstLine(timeout: TimeInterval = 20) async throws -> String {
        let handle = stdoutPipe.fileHandleForReading
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                var line = Data()
                let deadline = Date().addingTimeInterval(timeout)
                while Date() < deadline {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    line.append(chunk)
                    if let newline = line.firstIndex(of: 0x0A) {
                        continuation.resume(returning: String(decoding: line[..<newline], as: UTF8.self))
                        return
                    }
                }
                continuation.resume(throwing: ChildProcessError(description: "no line on stdout: \(String(decoding: line, as: UTF8.self))"))
            }
        }
    }

    public func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits up to `timeout` seconds for the exit; the status, or nil if it still runs.
    public func waitForExit(timeout: TimeInterval = 10) async -> Int32? {
        await waitUntil(timeout: timeout) { !process.isRunning }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// Everything on stderr so far (call after exit).
    public func standardError() -> String {
        String(decoding: stderrPipe.fileHandleForReading.availableData, as: UTF8.self)
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
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
        let base = NSTemporaryDirectory() + "/hoist-shell-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: base + ".out", contents: nil)
        FileManager.default.createFile(atPath: base + ".err", contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        let line = directory.map { "cd \(Tmux.quote($0)) && \(command)" } ?? command
        let status = try await ShellSpawn.run(line, stdout: base + ".out", stderr: base + ".err")
        let stdout = (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
        return Result(status: status, stdout: stdout, stderr: stderr)
    }
}

/// The `hoist` executable built by `swift build`.
public enum HoistBinary {
    /// `.build/debug/hoist` of this package.
    public static var path: String {
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

/// Every `Process.run()` of the tests, one at a time. Foundation's `Process.run()` crashed
/// (a bad pointer in memmove) in full runs where many tests launched processes several times
/// a second; `Shell.run`, the most frequent launch, now spawns without it (`ShellSpawn`),
/// and the rest take this lock, held only for the spawn itself.
public enum ProcessLaunches {
    private static let lock = Mutex(())

    /// Launches `process` now, never at the same time as another launch of this test process.
    public static func launch(_ process: Process) throws {
        // A snapshot of the environment, so the launch never reads `environ` itself.
        if process.environment == nil { process.environment = ProcessInfo.processInfo.environment }
        try lock.withLock { _ in try process.run() }
    }
}
