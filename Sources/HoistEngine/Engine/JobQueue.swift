/// The engine's waiting jobs, in order: taking the next one and dropping any one cost O(1),
/// so that 100,000 queued files are started, or cancelled all at once, in linear time.
///
/// A dropped job stays in place and is skipped when its turn comes. The same id may be
/// queued again after it was dropped (a retry): its stale place always comes before the new
/// one, and each drop skips exactly one place.
struct JobQueue: Sendable {
    private var ids: [JobID] = []
    private var head = 0
    /// Places to skip, per id.
    private var dropped: [JobID: Int] = [:]
    private var droppedCount = 0

    /// Jobs waiting.
    var count: Int { ids.count - head - droppedCount }
    var isEmpty: Bool { count == 0 }

    mutating func append(_ id: JobID) { ids.append(id) }

    /// The next job waiting, taken out of the queue.
    mutating func popFirst() -> JobID? {
        while head < ids.count {
            let id = ids[head]
            head += 1
            if let skips = dropped[id] {
                dropped[id] = skips > 1 ? skips - 1 : nil
                droppedCount -= 1
                continue
            }
            compactIfWorthIt()
            return id
        }
        return nil
    }

    /// Drops `id`, which must be waiting in the queue.
    mutating func drop(_ id: JobID) {
        dropped[id, default: 0] += 1
        droppedCount += 1
    }

    /// Every job waiting, in order, and the queue emptied.
    mutating func removeAll() -> [JobID] {
        var waiting: [JobID] = []
        while let id = popFirst() { waiting.append(id) }
        ids = []
        head = 0
        return waiting
    }

    /// Every job waiting, in order.
    var waiting: [JobID] {
        var copy = self
        return copy.removeAll()
    }

    /// Frees the taken places once they are most of the array.
    private mutating func compactIfWorthIt() {
        guard head >= 4096, head * 2 >= ids.count else { return }
        ids.removeFirst(head)
        head = 0
    }
}
