import Synchronization

/// Whether a PUT still moves: when the connection last took body bytes or the server last
/// sent answer bytes. A peer that hangs (a stopped server, a link gone without a reset)
/// leaves a PUT waiting on a full socket buffer, which no HTTP client timeout sees: the
/// client's idle-write timer only runs while the socket is writable. The uploader gives up
/// on a PUT that moved nothing for the stall timeout, and the retry policy takes it on.
///
/// Time spent waiting on hoist's own rate limiter is not a stall: `--limit-rate` may hold
/// a chunk back for longer than the timeout.
final class StallWatch: Sendable {
    private struct State: Sendable {
        var lastMove: ContinuousClock.Instant
        var limiterWaits = 0
    }

    private let state = Mutex(State(lastMove: .now))

    /// Bytes moved, one way or the other.
    func moved() {
        let now = ContinuousClock.now
        state.withLock { $0.lastMove = now }
    }

    /// Runs `body` (a wait on the rate limiter) without it counting towards a stall.
    func limiterWait(_ body: () async throws -> Void) async throws {
        state.withLock { $0.limiterWaits += 1 }
        defer {
            let now = ContinuousClock.now
            state.withLock { $0.limiterWaits -= 1; $0.lastMove = now }
        }
        try await body()
    }

    /// Whether nothing moved for `limit`, outside the limiter's waits.
    func hasStalled(for limit: Duration) -> Bool {
        let now = ContinuousClock.now
        return state.withLock { $0.limiterWaits == 0 && now - $0.lastMove >= limit }
    }

    /// Watches until cancelled or stalled: returns true when it found a stall. Real time,
    /// not the engine clock: a stall is the network's, and a test's fake clock jumping hours
    /// ahead must not end a PUT that is moving.
    func watch(limit: Duration) async -> Bool {
        let every = min(limit / 4, .seconds(5))
        while !Task.isCancelled {
            try? await Task.sleep(for: every)
            if !Task.isCancelled, hasStalled(for: limit) { return true }
        }
        return false
    }
}
