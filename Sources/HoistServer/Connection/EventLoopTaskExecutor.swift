import NIOCore

/// Runs a task's jobs on one NIO event loop: the loop of the connection it serves.
///
/// Hummingbird starts each connection's task on the default cooperative pool, so every
/// request crossed threads twice on the way in and out (the loop read it, a pool thread
/// handled it, the loop wrote the answer), each crossing a wake-up of a sleeping thread.
/// With this preference the handler runs where its bytes are read and written; only work
/// sent elsewhere on purpose (the SQLite writer, fsync) leaves the loop.
final class EventLoopTaskExecutor: TaskExecutor {
    private let loop: any EventLoop

    init(_ loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
