import Foundation

/// A long-running child of the bench that says it is ready by printing one line: `hoist
/// serve` (its base URL), and `--wan`'s relays and sink inside the server's namespace.
final class ServeProcess: @unchecked Sendable {
    private let process: Process
    private let output: Pipe
    /// The command line, for errors.
    private let command: String

    /// `hoist serve --port 0 ARGUMENTS`.
    static func start(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> ServeProcess {
        try launch(executable, ["serve", "--port", "0"] + arguments, environment: environment)
    }

    /// Any command (`executable` a path, or a name searched in PATH); its stderr goes to
    /// `stderrPath`, or nowhere.
    static func launch(_ executable: String, _ arguments: [String], environment: [String: String],
                       stderrPath: String? = nil) throws -> ServeProcess {
        let process = Process()
        if executable.contains("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        if let stderrPath, FileManager.default.createFile(atPath: stderrPath, contents: nil) {
            process.standardError = FileHandle(forWritingAtPath: stderrPath)
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        return ServeProcess(process: process, output: output, command: ([executable] + arguments).joined(separator: " "))
    }

    private init(process: Process, output: Pipe, command: String) {
        self.process = process
        self.output = output
        self.command = command
    }

    /// The first line it prints (for `hoist serve`, the base URL).
    func firstLine() throws -> String {
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            guard let first = byte.first else { throw BenchError("`\(command.prefix(200))` exited before printing its first line") }
            if first == UInt8(ascii: "\n") { break }
            line.append(first)
        }
        return String(decoding: line, as: UTF8.self)
    }

    /// SIGTERM, and SIGKILL if it has not gone 10 s later: a stuck child must not keep the
    /// bench (and, with `--wan`, its namespaces) waiting.
    func stop() {
        process.terminate()
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning && ContinuousClock.now < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

extension ServeProcess {
    /// The CPU (user + system) it has used so far, from /proc (nil once it has gone).
    var cpu: Duration? {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // After "pid (comm)": state is field 3, utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Int64(fields[11]), let system = Int64(fields[12]) else { return nil }
        let ticks = Int64(sysconf(Int32(_SC_CLK_TCK)))
        return .milliseconds((user + system) * 1000 / max(ticks, 1))
    }
}
