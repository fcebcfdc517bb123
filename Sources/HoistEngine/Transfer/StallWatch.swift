import Synchronization

/// Whether a PUT still moves: when the connection last took body bytes or the server last
/// sent answer bytes. A peer that hangs (a stopped server, a link gone without a reset)
/// leaves a PUT waiting on a full socket buffer, which no HTTP client timeout sees: the
/// client's idle-write timer only runs while the socket is writable. The uploader gives up
/// on a PUT that moved nothing for the stall timeout, and the retry policy takes it on.
///
/// Not stalls: the wait for a connection before the request head goes (the pool queues
/// requests beyond its connections; jobs × parts can exceed them), and waits on hoist's own
/// rate limiter (`--limit-rate` may hold a chunk back longer than the timeout). Once the
/// whole body is sent, the server stores it before it answers (an fsync, a copy to S3):
/// that wait may take ``answerFactor`` times the timeout.
final class StallWatch: Sendable {
    /// How many stall timeouts the answer to a fully sent body may take.
    static let answerFactor = 5

    private enum Phase: Sendable { case connecting, sending, answering }

    private struct State: Sendable {
        var phase = Phase.connecting
        var lastMove: ContinuousClock.Instant
        var limiterWaits = 0
    }

    private let state: Mutex<State>
    /// The time; the machine's, or a test's.
    private let now: @Sendable () -> ContinuousClock.Instant

    init(now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.now = now
        state = Mutex(State(lastMove: now()))
    }

    /// The request head went: from now on, silence counts.
    func started() {
        let moment = self.now()
        state.withLock { $0.phase = .sending; $0.lastMove = moment }
    }

    /// Bytes moved, one way or the other.
    func moved() {
        let moment = self.now()
        state.withLock { $0.lastMove = moment }
    }

    /// The last body byte went: the server now stores the body before answering.
    func bodySent() {
        let moment = self.now()
        state.withLock { $0.phase = .answering; $0.lastMove = moment }
    }

    /// Runs `body` (a wait on the rate limiter) without it counting towards a stall.
    func limiterWait(_ body: () async throws -> Void) async throws {
        state.withLock { $0.limiterWaits += 1 }
        defer {
            let moment = self.now()
            state.withLock { $0.limiterWaits -= 1; $0.lastMove = moment }
        }
        try await body()
    }

    /// Whether nothing moved for `limit` (or `answerFactor` times it while the answer is
    /// awaited), outside the waits that are not stalls.
    func hasStalled(for limit: Duration) -> Bool {
        let moment = self.now()
        return state.withLock { state in
            switch state.phase {
            case .connecting: return false
            case .sending: return state.limiterWaits == 0 && moment - state.lastMove >= limit
            case .answering: return moment - state.lastMove >= limit * Self.answerFactor
            }
        }
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
