import Foundation

/// A token bucket: `rate` bytes per second, with a burst of `capacity`.
///
/// Pure arithmetic; `RateLimiter` wraps it with a clock. Tokens may go negative: a
/// large chunk is let through and the debt is paid by waiting, so no chunk is ever split.
struct TokenBucket: Sendable, Equatable {
    let rate: Double
    let capacity: Double
    private var tokens: Double
    private var last: Duration?

    /// The highest rate a limit may name: 1 PiB/s, past any link, and far enough below
    /// `Int64.max` that the rate read back as a whole number of bytes stays one.
    static let maxRate: Int64 = 1 << 50

    init(bytesPerSecond: Int64, capacity: Int64? = nil) {
        let bytesPerSecond = min(max(bytesPerSecond, 1), Self.maxRate)
        rate = Double(bytesPerSecond)
        // A burst of a tenth of a second keeps the rate smooth at display resolution.
        self.capacity = Double(capacity ?? max(bytesPerSecond / 10, 1))
        tokens = self.capacity
    }

    /// Takes `count` bytes at `now`; returns how long the caller must wait before sending.
    mutating func take(_ count: Int, now: Duration) -> Duration {
        if let last {
            let elapsed = Double((now - last).components.seconds) + Double((now - last).components.attoseconds) / 1e18
            tokens = min(capacity, tokens + elapsed * rate)
        }
        last = now
        tokens -= Double(count)
        guard tokens < 0 else { return .zero }
        return .nanoseconds(Int64((-tokens / rate) * 1e9))
    }

    /// Parses `500K`, `10M`, `1G` or a plain byte count (per second). K = 1024.
    static func parseRate(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        guard let last = trimmed.last else { return nil }
        let multipliers: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        let (digits, factor) = multipliers[last].map { (String(trimmed.dropLast()), $0) } ?? (trimmed, 1)
        // Finite and at most `maxRate`: `inf`, `1e30` or 2^63 would trap when made a count.
        guard let value = Double(digits), value.isFinite, value > 0, value * Double(factor) <= Double(maxRate) else { return nil }
        return max(Int64(value * Double(factor)), 1)
    }
}
