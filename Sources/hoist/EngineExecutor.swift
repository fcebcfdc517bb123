import ArgumentParser
import NIOCore
import NIOPosix

/// A command whose process runs the upload engine without a terminal of its own to
/// answer (`hoist upload`, the background engine), and so does its HTTP.
///
/// Not the TUI: with its engine in its own process (`HOIST_ENGINE=foreground`), the test
/// "c in the queue cancels a slow upload; the server shows it CANCELLED within a second"
/// missed its second in 2 of 4 full parallel runs with the TUI's jobs on the event loops,
/// and never before. By default the TUI's engine is the background one, which has this.
protocol RunsEngine {}

extension UploadCommand: RunsEngine {}
extension EngineCommand: RunsEngine {}

/// Runs Swift Concurrency's jobs on NIO's event loops in `hoist upload` and `hoist engine`.
///
/// Every call of a job goes from its task to async-http-client's event loop and back: on
/// the default pool each of those is a wake-up of another thread. On the event loops a task
/// resumed by an answer runs on the loop that read it. Measured with 2,000 files of 4 KiB
/// (`hoist upload --jobs 16` on loopback, three runs each way): voluntary context switches
/// 26,000 → 13,500, client CPU 6–8 % lower, the whole run 2–7 % faster.
///
/// Not for `hoist serve`, whose connections' tasks Hummingbird starts on the cooperative
/// pool. With every one of the server's jobs moved onto the loops, the same measurement
/// made it slower (its CPU 14–17 % higher). Running each connection's task on its own loop
/// (a task executor preference) cut the server's context switches by a quarter on loopback,
/// but made small files slower across `hoist-bench --wan`, where the server shares the
/// cores with the relays (5 ms RTT: 329 and 329 files/s against 369), so it was dropped.
/// The engine blocks a thread only briefly: a journal write, a batch of `stat`s as a walk
/// queues files.
enum EngineExecutor {
    /// Call once, before the command runs.
    static func install(for command: any ParsableCommand) {
        guard command is any RunsEngine else { return }
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
}
