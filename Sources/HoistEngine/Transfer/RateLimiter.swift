/// The shared bandwidth limit: every job's chunks draw from one bucket.
public actor RateLimiter {
    private var bucket: TokenBucket
    private let clock: any EngineClock

    /// A limiter for `bytesPerSecond`, total across all callers.
    public init(bytesPerSecond: Int64, clock: any EngineClock = SystemEngineClock()) {
        bucket = TokenBucket(bytesPerSecond: bytesPerSecond)
        self.clock = clock
    }

    /// Parses a `--limit-rate` value (`500K`, `10M`); nil when malformed.
    public static func parse(_ text: String) -> Int64? { TokenBucket.parseRate(text) }

    /// Waits until `count` bytes may be sent.
    public func acquire(_ count: Int) async throws {
        let wait = bucket.take(count, now: clock.now())
        if wait > .zero { try await clock.sleep(for: wait) }
    }
}
