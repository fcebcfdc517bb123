import Synchronization

/// One `add` followed from outside while it walks: the ids of each batch as it is queued,
/// and a way to stop the walk early. The background engine answers a client's `add` this
/// way, batch by batch, so the client's first upload is reported while the rest of a large
/// tree is still being read, instead of after every id is known.
public final class AddParts: Sendable {
    /// Each batch's ids, in the order the paths came; finishes when the `add` returns.
    public let batches: AsyncStream<[JobID]>
    private let sink: AsyncStream<[JobID]>.Continuation
    private let stopped = Atomic<Bool>(false)
    private let walked = Atomic<Bool>(false)

    public init() {
        (batches, sink) = AsyncStream.makeStream(of: [JobID].self)
    }

    /// Whether the walk was stopped (``stop()``, ``UploadEngine/stop(_:)``).
    public var isStopped: Bool { stopped.load(ordering: .acquiring) }

    func markStopped() { stopped.store(true, ordering: .releasing) }

    /// Whether the walk has reached its last path: its last batch is queued (or on its way
    /// in ``batches``), though the `add` may still wait for room before it returns. Until
    /// then a walk that met a directory may queue more files than it was given paths.
    public var hasWalkedAll: Bool { walked.load(ordering: .acquiring) }

    func markWalked() { walked.store(true, ordering: .releasing) }

    /// Stops the walk before its next batch is queued, from any thread and at once: a front
    /// end that drops its queue calls this before the engine hears of it, so a walk that had
    /// not started yet queues nothing. A walk held for room wakes at the engine's next
    /// change of queue (``UploadEngine/cancelAllPending()``, or ``UploadEngine/stop(_:)``).
    public func stop() { markStopped() }

    func deliver(_ ids: [JobID]) {
        if !ids.isEmpty { sink.yield(ids) }
    }

    func finish() { sink.finish() }
}
