import Synchronization

/// Reports a reconcile's hashing of parts the store holds (`EngineEvent.Kind.verifying`):
/// 0 at once, then at most once per `interval` on `clock`, then the total once, so a front
/// end shows the check moving instead of a job that seems stalled before its first byte.
final class VerifyProgress: Sendable {
    private struct State {
        var throttle: ProgressThrottle
        var reported: Int64 = 0
    }

    private let state: Mutex<State>
    private let total: Int64
    private let clock: any EngineClock
    private let report: @Sendable (Int64, Int64) -> Void

    /// Reports `(0, total)` now.
    init(total: Int64, interval: Duration, clock: any EngineClock, report: @escaping @Sendable (Int64, Int64) -> Void) {
        var throttle = ProgressThrottle(interval: interval)
        _ = throttle.update(0, now: clock.now())
        state = Mutex(State(throttle: throttle))
        self.total = total
        self.clock = clock
        self.report = report
        report(0, total)
    }

    /// `checked` bytes have been hashed.
    func read(_ checked: Int64) {
        let now = clock.now()
        let due = state.withLock { state -> Int64? in
            guard let due = state.throttle.update(checked, now: now) else { return nil }
            state.reported = due
            return due
        }
        if let due { report(due, total) }
    }

    /// Every byte has been hashed: reports the total, unless that was the last report.
    func finish() {
        let due = state.withLock { state -> Bool in
            defer { state.reported = total }
            return state.reported != total
        }
        if due { report(total, total) }
    }
}
