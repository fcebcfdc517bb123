import Foundation
import Subprocess
import Synchronization
#if canImport(SystemPackage)
import SystemPackage
#else
import System
#endif

/// A child process of the tests, started with swift-subprocess and watched to its exit.
///
/// Every launch of the test process goes through here. Foundation's `Process.run()`
/// crashed (a memcpy past a page, even with launches serialised) in full runs where many
/// tests start processes several times a second; swift-subprocess spawns without it, with
/// an empty signal mask and default dispositions, as a shell started from a terminal has.
/// Output goes to files, never to pipes: a pipe nobody drains stalls its writer, and a
/// daemon the child starts (tmux) would inherit it and hold "end of output" back.
public final class Spawned: Sendable {
    /// The child's process id.
    public let processIdentifier: pid_t
    /// The exit status once it ended (128 + the signal when a signal ended it).
    private let ended: Ended
    private let exit: Task<Int32, Never>

    private final class Ended: Sendable {
        let status = Mutex<Int32?>(nil)
    }

    /// Starts `executable` with `arguments`; stdin is /dev/null, stdout and stderr go to
    /// the given files (created or truncated). `environment` nil inherits this process's.
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                directory: String? = nil, stdout: String = "/dev/null", stderr: String = "/dev/null") async throws {
        let out = try Self.open(stdout)
        let err: FileDescriptor
        do { err = try Self.open(stderr) } catch { try? out.close(); throw error }
        let environmentSetting: Subprocess.Environment = environment.map { variables in
            // Raw entries are C strings: each carries its own NUL (as `updating` writes them).
            .custom(variables.map { Array("\($0.key)=\($0.value)\0".utf8) })
        } ?? .inherit
        let configuration = Configuration(
            executable: .path(FilePath(executable)), arguments: Arguments(arguments), environment: environmentSetting,
            workingDirectory: directory.map { FilePath($0) })
        let ended = Ended()
        self.ended = ended
        let (started, startedContinuation) = AsyncStream<Result<pid_t, any Error>>.makeStream()
        exit = Task {
            let status: Int32
            do {
                let result = try await Subprocess.run(
                    configuration, input: .none,
                    output: .fileDescriptor(out, closeAfterSpawningProcess: true),
                    error: .fileDescriptor(err, closeAfterSpawningProcess: true)
                ) { execution in
                    startedContinuation.yield(.success(execution.processIdentifier.value))
                }
                switch result.terminationStatus {
                case .exited(let code): status = code
                case .signaled(let signal): status = 128 + signal
                }
            } catch {
                startedContinuation.yield(.failure(error))
                status = -1
            }
            startedContinuation.finish()
            ended.status.withLock { $0 = status }
            return status
        }
        var iterator = started.makeAsyncIterator()
        guard let first = await iterator.next() else {
            throw ChildProcessError(description: "\(executable) did not start")
        }
        switch first {
        case .success(let pid): processIdentifier = pid
        case .failure(let error): throw ChildProcessError(description: "cannot start \(executable): \(error)")
        }
    }

    /// Whether the child still runs (it has not been reaped).
    public var isRunning: Bool { ended.status.withLock { $0 == nil } }

    /// The exit status (128 + the signal when a signal ended it); nil while it runs.
    public var terminationStatus: Int32? { ended.status.withLock { $0 } }

    /// Waits for the exit, however long it takes; the exit status.
    public func status() async -> Int32 { await exit.value }

    /// Sends `signal` while the child runs (never to a reaped, possibly reused, pid).
    public func send(_ signal: Int32) {
        ended.status.withLock { if $0 == nil { _ = kill(processIdentifier, signal) } }
    }

    private static func open(_ path: String) throws -> FileDescriptor {
        try FileDescriptor.open(FilePath(path), .writeOnly, options: [.create, .truncate],
                                permissions: [.ownerReadWrite, .groupRead, .otherRead])
    }
}
