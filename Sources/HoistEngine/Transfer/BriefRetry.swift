/// A call asked again a few times at short intervals (0.5, 1 and 2 s later) while its
/// failure is one worth another try: for housekeeping calls whose giving up would leave
/// something behind (the look for a lost create's session, `hoist cancel KEY`'s listing and
/// aborts), where a job's own backoff does not apply.
enum BriefRetry {
    /// Runs `call` up to four times; the last failure, or one not worth another try, is thrown.
    static func run<T>(clock: any EngineClock = SystemEngineClock(), _ call: () async throws(EngineError) -> T) async throws(EngineError) -> T {
        var attempt = 0
        while true {
            do {
                return try await call()
            } catch where error.isTransient && attempt < 3 && !Task.isCancelled {
                try? await clock.sleep(for: .milliseconds(500 << attempt))
                attempt += 1
            }
        }
    }
}
