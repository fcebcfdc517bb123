/// The shared bandwidth limit: every job's chunks draw from one bucket. The limit can be
/// changed or lifted while uploads run (a client of the background engine asks for it).
public actor RateLimiter {
    private var bucket: TokenBucket?
    private let clock: any EngineClock

    /// A limiter for `bytesPerSecond` (nil: unlimited), total across all callers.
    public init(bytesPerSecond: Int64?, clock: any EngineClock = SystemEngineClock()) {
        bucket = bytesPerSecond.map { TokenBucket(bytesPerSecond: $0) }
        self.clock = clock
    }

    /// The limit in bytes per second; nil when unlimited.
    public var bytesPerSecond: Int64? { bucket.map { Int64($0.rate) } }

    /// Changes the limit (nil lifts it). Chunks already waiting finish their wait.
    public func setRate(_ bytesPerSecond: Int64?) {
        bucket = bytesPerSecond.map { TokenBucket(bytesPerSecond: $0) }
    }

    /// Parses a `--limit-rate` value (`500K`, `10M`); nil when malformed.
    public static func parse(_ text: String) -> Int64? { TokenBucket.parseRate(text) }

    /// Waits until `count` bytes may be sent.
    public func acquire(_ count: Int) async throws {
        guard var current = bucket else { return }
        let wait = current.take(count, now: clock.now())
        bucket = current
        if wait > .zero { try await clock.sleep(for: wait) }
    }
}
