import Foundation
import HoistTestSupport
import Synchronization

/// The real `hoist upload` as a child process, its stdout and stderr going to files (so
/// stderr is not a terminal), with a home of its own and the test server's key in
/// `HOIST_TEST_KEY`.
final class UploadCLIRun: Sendable {
    private let process: Spawned
    let home: String
    private let outPath: String
    private let errPath: String
    private let started = Date()
    private let elapsedTime = Mutex<TimeInterval>(0)

    /// Starts `hoist arguments…`; `prefix` runs it through another program (setpriv).
    /// `directory`: the working directory (relative paths are given relative to it).
    init(_ arguments: [String], environment extra: [String: String?] = [:], prefix: [String] = [], directory: String? = nil) async throws {
        home = try TempDirectory.make(prefix: "hoist-cli-home")
        outPath = home + "/stdout.txt"
        errPath = home + "/stderr.txt"
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in [
            "HOME": home, "XDG_CONFIG_HOME": home + "/config", "XDG_DATA_HOME": home + "/data",
            "XDG_STATE_HOME": home + "/state", "LANG": "C.UTF-8",
        ] { environment[name] = value }
        environment.removeValue(forKey: "HOIST_TEST_KEY")
        // `hoist upload` in its own process, as scripts run it with --foreground; the
        // background engine has its own tests (BackgroundEngineTests).
        environment["HOIST_ENGINE"] = "foreground"
        for (name, value) in extra { environment[name] = value }
        let binary = try HoistBinary.require()
        process = try await Spawned(
            prefix.first ?? binary, Array(prefix.dropFirst()) + (prefix.isEmpty ? [] : [binary]) + arguments,
            environment: environment, directory: directory, stdout: outPath, stderr: errPath)
    }

    /// Runs `hoist upload PATHS --endpoint … --dialect lightfield --api-key-env HOIST_TEST_KEY extra…`
    /// against `server` to its end.
    static func upload(_ paths: [String], server: TestServer, endpoint: String? = nil, extra: [String] = [],
                       prefix: [String] = [], timeout: TimeInterval = 60) async throws -> UploadCLIRun {
        let run = try await UploadCLIRun(
            ["upload"] + paths + ["--endpoint", endpoint ?? server.baseURL, "--dialect", "lightfield", "--api-key-env", "HOIST_TEST_KEY"] + extra,
            environment: ["HOIST_TEST_KEY": server.key], prefix: prefix)
        try await run.finish(timeout: timeout)
        return run
    }

    /// Runs `hoist url FINAL --dialect luw` against `server` to its end.
    static func luwURL(_ final: some StringProtocol, server: TestServer) async throws -> UploadCLIRun {
        let run = try await UploadCLIRun(
            ["url", String(final), "--endpoint", server.baseURL, "--dialect", "luw", "--api-key-env", "HOIST_TEST_KEY"],
            environment: ["HOIST_TEST_KEY": server.key])
        try await run.finish(timeout: 30)
        return run
    }

    var stdout: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }
    /// The exit status (-1 while it runs).
    var status: Int32 { process.terminationStatus ?? -1 }
    /// Seconds from start to exit, as `finish` saw it.
    var elapsed: TimeInterval { elapsedTime.withLock { $0 } }

    /// Waits for the exit; after `timeout` seconds kills the process and throws.
    func finish(timeout: TimeInterval = 60) async throws {
        let exited = await waitUntil(timeout: timeout) { !process.isRunning }
        let elapsed = Date().timeIntervalSince(started)
        elapsedTime.withLock { $0 = elapsed }
        guard exited else {
            process.send(SIGKILL)
            throw ChildProcessError(description: "hoist still ran after \(Int(timeout)) s; stdout:\n\(stdout)\nstderr:\n\(stderr)")
        }
    }

    /// Waits until stderr holds `text`.
    func waitForStderr(_ text: String, timeout: TimeInterval = 60) async throws {
        guard await waitUntil(timeout: timeout, { stderr.contains(text) }) else {
            throw ChildProcessError(description: "no '\(text)' on stderr:\n\(stderr)")
        }
    }

    func send(_ signal: Int32) { process.send(signal) }

    /// The stderr lines that start with `prefix`.
    func stderrLines(startingWith prefix: String) -> [String] {
        stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix(prefix) }
    }

    /// The summary line (the last `hoist: N completed` line on stderr), or "".
    var summary: String {
        stderr.split(separator: "\n").map(String.init).last(where: { $0.range(of: #"^hoist: \d+ completed, "#, options: .regularExpression) != nil }) ?? ""
    }

    deinit {
        process.send(SIGKILL)
        try? FileManager.default.removeItem(atPath: home)
    }
}

/// A directory of files of given sizes, random contents.
func uploadCLIFiles(_ specs: [(String, Int)]) throws -> String {
    // Spelled as hoist spells paths in its output (TempDirectory's has a double slash).
    let dir = (try TempDirectory.make(prefix: "hoist-cli-files") as NSString).standardizingPath
    guard let random = FileHandle(forReadingAtPath: "/dev/urandom") else { throw ChildProcessError(description: "no /dev/urandom") }
    defer { try? random.close() }
    for (name, size) in specs {
        let path = dir + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try TestFiles.write(random.readData(ofLength: size), to: path)
    }
    return dir
}

/// A human byte figure (`976.6 KiB`, `4.8 MiB`, `512 B`) in bytes.
func uploadCLIBytes(_ text: some StringProtocol) -> Double? {
    let text = String(text)
    let parts = text.split(separator: " ").map(String.init)
    guard parts.count == 2, let value = Double(parts[0]) else { return nil }
    let units: [String: Double] = ["B": 1, "KiB": 1024, "MiB": 1_048_576, "GiB": 1_073_741_824, "TiB": 1_099_511_627_776]
    return units[parts[1]].map { value * $0 }
}

/// `m:ss` or `h:mm:ss` in seconds.
func uploadCLISeconds(_ text: some StringProtocol) -> Int? {
    let text = String(text)
    let parts = text.split(separator: ":").compactMap { Int($0) }
    guard parts.count == text.split(separator: ":").count, (2...3).contains(parts.count) else { return nil }
    return parts.reduce(0) { $0 * 60 + $1 }
}


/// Runs the child without the root's power to read anything, so that a mode-000 directory is
/// unreadable to it even when the tests run as root (as in CI containers).
func uploadCLIUnprivileged() -> [String] {
    getuid() == 0 ? ["/usr/bin/setpriv", "--bounding-set", "-dac_override,-dac_read_search"] : []
}
