/// Totals for the status pane: counts, bytes, a smoothed aggregate speed and an ETA that
/// does not jump about.
public struct TransferStats: Sendable, Equatable {
    public var done = 0
    public var failed = 0
    public var cancelled = 0
    /// Every byte handed to the network, retries included; what the speed is measured on.
    public private(set) var transferred: Int64 = 0
    /// Aggregate bytes per second, smoothed over a longer half-life than a single row's.
    public private(set) var rate: SmoothedRate = {
        var rate = SmoothedRate()
        rate.halfLife = .seconds(5)
        return rate
    }()

    public init() {}

    /// Counts `delta` more bytes sent at `now`.
    public mutating func add(bytes delta: Int64, at now: Duration) {
        guard delta > 0 else { return }
        transferred += delta
        rate.record(total: transferred, at: now)
    }

    /// Nothing is moving any more (all jobs finished or paused).
    public mutating func settle() { rate.stop() }

    /// Seconds left for `remaining` bytes at the smoothed speed; nil when unknown.
    public func eta(remaining: Int64) -> Double? {
        guard remaining > 0, rate.bytesPerSecond > 1 else { return nil }
        return Double(remaining) / rate.bytesPerSecond
    }
}
