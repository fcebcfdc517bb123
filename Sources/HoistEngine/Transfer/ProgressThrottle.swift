/// Limits progress reports to one per interval, keeping the latest value for the final flush.
///
/// Pure: the caller passes the current instant, so tests drive it with a fake clock
/// (SwiftPM's ThrottledProgressAnimation does the same).
struct ProgressThrottle: Sendable {
    private let interval: Duration
    private var lastEmit: Duration?
    private var pending: Int64?

    init(interval: Duration) { self.interval = interval }

    /// Records `sent`; returns it when a report is due now, else keeps it pending.
    mutating func update(_ sent: Int64, now: Duration) -> Int64? {
        if let lastEmit, now - lastEmit < interval {
            pending = sent
            return nil
        }
        lastEmit = now
        pending = nil
        return sent
    }

    /// How long it holds reports back.
    var holdsFor: Duration { interval }

    /// The value held back, if any, reported now (a timer's turn after reports stopped
    /// coming, so the last one does not wait for the next update).
    mutating func emitPending(now: Duration) -> Int64? {
        guard let value = pending else { return nil }
        pending = nil
        lastEmit = now
        return value
    }

    /// The value held back since the last report, if any: always delivered at the end.
    mutating func flush() -> Int64? {
        defer { pending = nil }
        return pending
    }
}
