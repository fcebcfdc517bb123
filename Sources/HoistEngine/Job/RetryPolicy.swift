/// How often and how long to wait before trying a failed step again.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts per step (the first try included) before the job fails.
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// New sessions per job (expired, name taken) before the job fails.
    public var maxSessions: Int
    /// Re-uploads into the same session after the server discarded the bytes (md5 mismatch).
    public var maxReuploads: Int

    public init(
        maxAttempts: Int = 5, baseDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(20),
        maxSessions: Int = 4, maxReuploads: Int = 2
    ) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxSessions = maxSessions
        self.maxReuploads = maxReuploads
    }

    public static let standard = RetryPolicy()

    /// Exponential backoff with jitter: the delay after failure number `attempt` (1-based).
    /// `jitter` in 0..<1 picks a point in the upper half of the window, so delays never collapse to zero.
    public func delay(afterAttempt attempt: Int, jitter: Double) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        var window = baseDelay * (1 << exponent)
        if window > maxDelay { window = maxDelay }
        let factor = 0.5 + 0.5 * min(max(jitter, 0), 1)
        return window * factor
    }
}
