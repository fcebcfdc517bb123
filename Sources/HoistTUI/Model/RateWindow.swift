/// Bytes per second over the last few seconds, computed from the times the bytes were
/// taken (engine event times), never from when a front end happened to read them.
///
/// No reading until a second of data: the first sample is an anchor, not a rate. When the
/// count has not grown for ``stallAfter``, or for twice the usual time between its growths
/// if that is longer, the rate is 0 (stalled), whatever came before. The usual time matters
/// for a slow upload: its progress comes a chunk (256 KiB) at a time, seconds apart at under
/// 85 KiB/s, and each wait for the next chunk is not a stall.
public struct RateWindow: Sendable, Equatable {
    /// How far back the rate looks.
    public static let span: Duration = .seconds(5)
    /// The least data that makes a reading; until then the rate is unknown (`--`).
    public static let minimumData: Duration = .seconds(1)
    /// No growth for this long reads as 0.
    public static let stallAfter: Duration = .seconds(3)

    struct Sample: Sendable, Equatable {
        var time: Duration
        var total: Int64
        /// Cumulative seconds of round trips (create, complete) by then; see ``busyFraction``.
        var waited: Double
    }

    private var samples: [Sample] = []
    /// When the total last grew (or was first seen).
    public private(set) var lastMoved: Duration?
    /// The time between growths, smoothed (stalls left out).
    private var gap: Duration?

    /// How long without growth reads as a stall.
    var stallLimit: Duration { max(Self.stallAfter, (gap ?? .zero) * 2) }

    public init() {}

    /// Records that `total` bytes had been counted by `time`, and `waited` seconds spent in
    /// round trips. Times that go backwards (events of different jobs stamped a hair apart)
    /// count as the latest time.
    public mutating func record(total: Int64, at time: Duration, waited: Double = 0) {
        let time = max(time, samples.last?.time ?? time)
        if let lastMoved, let last = samples.last, total > last.total, time - lastMoved >= stallLimit {
            // Moving again after a stall: the quiet seconds say nothing of the new rate, so
            // it starts over from here (unknown for a second, like any start). The gap is
            // learnt all the same: a slow upload's first chunk-to-chunk wait looks like one.
            learnGap(time - lastMoved)
            samples = [Sample(time: time, total: total, waited: waited)]
            self.lastMoved = time
            return
        }
        if let last = samples.last {
            if total > last.total {
                if let lastMoved { learnGap(time - lastMoved) }
                lastMoved = time
            }
            if last.time == time {
                samples[samples.count - 1] = Sample(time: time, total: total, waited: waited)
                return
            }
        } else {
            lastMoved = time
        }
        samples.append(Sample(time: time, total: total, waited: waited))
        // Keep one sample at or before the window's start as its anchor.
        let start = time - Self.span
        var drop = 0
        while samples.count - drop > 2, samples[drop + 1].time <= start { drop += 1 }
        if drop > 0 { samples.removeFirst(drop) }
    }

    /// Smooths the time between growths: a lone long wait (a real stall) raises it for a
    /// few growths, steady chunks set it.
    private mutating func learnGap(_ since: Duration) {
        // Capped: a ten-minute stall must not make the next ten minutes of quiet look fine.
        let since = min(since, Self.gapCap)
        gap = gap.map { ($0 * 3 + since) / 4 } ?? since
    }

    /// The longest time between growths learnt as usual.
    static let gapCap: Duration = .seconds(30)

    /// Forgets everything (a transfer starting over from 0).
    public mutating func reset() {
        samples = []
        lastMoved = nil
        gap = nil
    }

    /// Whether nothing moved for the stall limit by `now`.
    public func isStalled(at now: Duration) -> Bool {
        guard let lastMoved else { return false }
        return now - lastMoved >= stallLimit
    }

    /// Bytes per second at `now`: `nil` with less than a second of data, 0 when stalled.
    public func bytesPerSecond(at now: Duration) -> Double? {
        if isStalled(at: now) { return 0 }
        guard let first = samples.first, let last = samples.last else { return nil }
        let span = last.time - first.time
        guard span >= Self.minimumData else { return nil }
        return Double(last.total - first.total) / span.seconds
    }

    /// Bytes per second while bytes could flow: the window's time less the round trips
    /// that `parallel` jobs spent waiting in it. Used for the ETA, which adds those round
    /// trips for the files left, so that they are not counted twice.
    public func transferRate(at now: Duration, parallel: Int) -> Double? {
        guard let rate = bytesPerSecond(at: now), rate > 0, let first = samples.first, let last = samples.last else {
            return bytesPerSecond(at: now)
        }
        let span = (last.time - first.time).seconds
        let waited = (last.waited - first.waited) / Double(max(1, parallel))
        // Never less than a tenth of the window: a round-trip estimate must not blow up the rate.
        let moving = max(span / 10, span - waited)
        return Double(last.total - first.total) / moving
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
