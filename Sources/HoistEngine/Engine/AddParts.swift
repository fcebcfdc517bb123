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

    public init() {
        (batches, sink) = AsyncStream.makeStream(of: [JobID].self)
    }

    /// Whether ``UploadEngine/stop(_:)`` was called for this walk.
    var isStopped: Bool { stopped.load(ordering: .acquiring) }

    func markStopped() { stopped.store(true, ordering: .releasing) }

    func deliver(_ ids: [JobID]) {
        if !ids.isEmpty { sink.yield(ids) }
    }

    func finish() { sink.finish() }
}
