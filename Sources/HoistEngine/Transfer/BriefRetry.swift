/// A call asked again a few times at short intervals (0.5, 1 and 2 s later) while its
/// failure is one worth another try: for housekeeping calls whose giving up would leave
/// something behind (the look for a lost create's session, `hoist cancel KEY`'s listing and
/// aborts), where a job's own backoff does not apply.
public enum BriefRetry {
    /// How many times a call is asked at most.
    public static let tries = 4

    /// Told of each failed try before the next is asked, with that next try's number (2,
    /// 3, 4): a one-shot command a person waits on says so (`hoist cancel KEY`), instead of
    /// leaving them in silence.
    public typealias Announce = @Sendable (_ error: EngineError, _ next: Int) -> Void

    /// Runs `call` up to four times; the last failure, or one not worth another try, is thrown.
    static func run<T>(clock: any EngineClock = SystemEngineClock(), announce: Announce? = nil,
                       _ call: () async throws(EngineError) -> T) async throws(EngineError) -> T {
        var attempt = 0
        while true {
            do {
                return try await call()
            } catch where error.isTransient && attempt < tries - 1 && !Task.isCancelled {
                announce?(error, attempt + 2)
                try? await clock.sleep(for: .milliseconds(500 << attempt))
                attempt += 1
            }
        }
    }
}
