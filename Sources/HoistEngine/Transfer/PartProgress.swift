import Synchronization

/// The bytes a multipart upload has sent, summed over parts that report from their own
/// event loops, reported to the job in order.
///
/// The total is made and reported under one lock. Reported after it, two parts' totals
/// could reach the job in the other order and the bar would go back (seen in a full test
/// run with three parts in flight).
final class PartProgress: Sendable {
    private let flights = Mutex<[Int: Int64]>([:])
    /// Bytes the store already held when this attempt began.
    let base: Int64
    /// The file's size: the total stays below it until the upload is completed.
    let size: Int64
    let onProgress: @Sendable (Int64) -> Void

    init(base: Int64, size: Int64, onProgress: @escaping @Sendable (Int64) -> Void) {
        self.base = base
        self.size = size
        self.onProgress = onProgress
    }

    /// Part `number` has sent `sent` of its bytes. A report older than one already counted
    /// (a late callback) changes nothing.
    func report(_ number: Int, _ sent: Int64) {
        flights.withLock { flights in
            flights[number] = max(flights[number] ?? 0, sent)
            onProgress(min(flights.values.reduce(base, +), size - 1))
        }
    }
}
