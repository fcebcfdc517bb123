import ArgumentParser
import NIOCore
import NIOPosix

/// A command whose process may run the upload engine (in the foreground, or as the
/// background engine), and so does its HTTP.
protocol RunsEngine {}

extension UploadCommand: RunsEngine {}
extension EngineCommand: RunsEngine {}
extension TUICommand: RunsEngine {}

/// Runs Swift Concurrency's jobs on NIO's event loops in processes that upload.
///
/// Every call of a job goes from its task to async-http-client's event loop and back: on
/// the default pool each of those is a wake-up of another thread. On the event loops a task
/// resumed by an answer runs on the loop that read it. Measured with 2,000 files of 4 KiB
/// (`hoist upload --jobs 16` on loopback, three runs each way): voluntary context switches
/// 26,000 → 13,500, client CPU 6–8 % lower, the whole run 2–7 % faster.
///
/// Not for `hoist serve`: Hummingbird already runs its handlers on the connection's event
/// loop, and the same measurement with the server's jobs moved there made it slower (its
/// CPU 14–17 % higher). The engine blocks a thread only briefly: a journal write, a
/// batch of `stat`s as a walk queues files.
enum EngineExecutor {
    /// Call once, before the command runs.
    static func install(for command: any ParsableCommand) {
        guard command is any RunsEngine else { return }
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
}
