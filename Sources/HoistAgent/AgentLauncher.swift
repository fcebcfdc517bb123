import Foundation

/// Connects a client to the background engine, starting one when none runs.
public struct AgentLauncher: Sendable {
    public var paths: AgentPaths
    /// The `hoist` executable and the arguments that run the engine (`engine ...`).
    public var executable: String
    public var arguments: [String]
    /// How long a started engine may take to listen (a loaded machine is slow).
    public var startTimeout: Duration = .seconds(20)

    public init(paths: AgentPaths, executable: String, arguments: [String]) {
        self.paths = paths
        self.executable = executable
        self.arguments = arguments
    }

    /// Connects to the engine that runs, starting none: an engine that holds the lock but
    /// does not listen (its socket just removed: it binds it again within a second) is
    /// waited for up to `patience` before it is said to be unreachable.
    public static func connectToRunning(_ paths: AgentPaths, hello: AgentRequest, raw: Bool = false,
                                        patience: Duration = .seconds(5)) async throws(AgentError) -> AgentConnection {
        let deadline = ContinuousClock.now + patience
        while true {
            do {
                return try await AgentConnection.connect(paths, hello: hello, raw: raw)
            } catch where error.isNotRunning {
                guard let pid = EngineLock.holder(paths) else { throw error }
                guard ContinuousClock.now < deadline else { throw .unreachable(pid: pid, socket: paths.socket, taken: paths.socketTaken) }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Connects; when nobody listens, starts the engine and connects once it does. An
    /// engine that holds the lock is not started again (it could not run): its socket is
    /// waited for.
    public func connect(hello: AgentRequest) async throws(AgentError) -> AgentConnection {
        var startedOne = false
        do {
            return try await AgentConnection.connect(paths, hello: hello)
        } catch where error.isNotRunning {
            if EngineLock.holder(paths) == nil {
                try start()
                startedOne = true
            }
        }
        let logStart = logSize()
        let clock = ContinuousClock()
        let started = clock.now
        let deadline = started + startTimeout
        while true {
            do {
                return try await AgentConnection.connect(paths, hello: hello)
            } catch where error.isNotRunning && clock.now < deadline {
                // An engine holds its lock from its first moments to its end, and writes to
                // the log only once started: new lines with nobody holding the lock are an
                // engine that already ended (a journal it cannot open, a socket path taken
                // by a file). Said now, not after the whole start timeout.
                if clock.now - started > .milliseconds(300), logSize() > logStart, EngineLock.holder(paths) == nil {
                    throw .startFailed("it exited before it listened" + logTail())
                }
                try? await Task.sleep(for: .milliseconds(50))
            } catch where error.isNotRunning {
                if !startedOne, let pid = EngineLock.holder(paths) { throw .unreachable(pid: pid, socket: paths.socket, taken: paths.socketTaken) }
                throw .startFailed("it did not listen on \(paths.socket) within \(startTimeout)" + logTail())
            }
        }
    }

    /// Starts `hoist engine` detached from this terminal: its own session (no SIGHUP when
    /// the terminal goes), stdin from /dev/null, output appended to the engine log. Two
    /// clients starting one at the same moment are fine: the lock lets one run.
    public func start() throws(AgentError) {
        do {
            try FileManager.default.createDirectory(
                atPath: URL(fileURLWithPath: paths.log).deletingLastPathComponent().path, withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: paths.log) {
                _ = FileManager.default.createFile(atPath: paths.log, contents: nil, attributes: [.posixPermissions: 0o600])
            }
            let log = try FileHandle(forWritingTo: URL(fileURLWithPath: paths.log))
            try log.seekToEnd()
            let process = Process()
            // Foundation starts a child as the leader of a process group of its own, and a
            // group leader cannot call setsid(): the engine stayed in the terminal's session
            // with the terminal as its controlling one. util-linux's setsid forks first when
            // it leads a group, so the engine gets its own session, and init for a parent.
            if let setsid = Self.setsid {
                process.executableURL = URL(fileURLWithPath: setsid)
                process.arguments = [executable] + arguments
            } else {
                process.executableURL = URL(fileURLWithPath: executable)
                process.arguments = arguments
            }
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = log
            process.standardError = log
            try process.run()
            try? log.close()
        } catch {
            throw .startFailed("\(error)")
        }
    }

    /// util-linux's `setsid`, where the system has it (Debian's essential util-linux does).
    static let setsid = ["/usr/bin/setsid", "/bin/setsid"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The engine log's size now (0 when there is none).
    private func logSize() -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: paths.log))?[.size] as? NSNumber)?.uint64Value ?? 0
    }

    /// The last lines of the engine log, for a start that failed.
    private func logTail() -> String {
        guard let text = try? String(contentsOfFile: paths.log, encoding: .utf8) else { return "" }
        let lines = text.split(separator: "\n").suffix(3)
        return lines.isEmpty ? "" : "; its log (\(paths.log)) ends:\n" + lines.joined(separator: "\n")
    }
}
