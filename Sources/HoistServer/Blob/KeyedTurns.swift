import Synchronization

/// Turns per key, across tasks: one holder of a key at a time, the others waiting in order.
/// A waiter is not cancelled with its task; it takes its turn, and its holder ends it as
/// soon as it finds nothing left to do.
final class KeyedTurns: Sendable {
    private let waiting = Mutex<[String: [CheckedContinuation<Void, Never>]]>([:])
    private let mostWaiting = Mutex(0)

    /// Runs `body` in `key`'s turn: at once when no one holds it, else after those before.
    func inTurn<T: Sendable>(_ key: String, _ body: () async throws -> T) async throws -> T {
        await take(key)
        defer { pass(key) }
        return try await body()
    }

    private func take(_ key: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let free = waiting.withLock { waiting -> Bool in
                guard waiting[key] != nil else {
                    waiting[key] = []
                    return true
                }
                waiting[key]?.append(continuation)
                let count = waiting[key]?.count ?? 0
                mostWaiting.withLock { $0 = max($0, count) }
                return false
            }
            if free { continuation.resume() }
        }
    }

    /// Hands `key` to its next waiter, or frees it.
    private func pass(_ key: String) {
        let next = waiting.withLock { waiting -> CheckedContinuation<Void, Never>? in
            guard var queue = waiting[key], !queue.isEmpty else {
                waiting[key] = nil
                return nil
            }
            let first = queue.removeFirst()
            waiting[key] = queue
            return first
        }
        next?.resume()
    }

    /// Keys held or waited for now (for tests).
    var busyKeys: Int { waiting.withLock { $0.count } }
    /// The most tasks that waited for one key at once (for tests: that turns were taken).
    var peakWaiting: Int { mostWaiting.withLock { $0 } }
}
