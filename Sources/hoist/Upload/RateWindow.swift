/// The transfer rate over the last few seconds, on the engine's clock.
///
/// Bytes are recorded at the time the engine says they were taken (`EngineEvent.time`), not
/// when the command read the event, and the rate is the bytes of a sliding window over its
/// length: no first instantaneous sample seeds it, so a burst at the start (a rate limiter's
/// full bucket, a socket buffer filling) cannot read as gigabytes per second.
struct RateWindow: Sendable {
    /// What the window can say at a given time.
    enum Reading: Equatable, Sendable {
        /// Less than `minimum` of data so far: no honest figure yet (shown as `--`).
        case measuring
        /// Nothing moved for `stallAfter`.
        case stalled
        /// Bytes per second over the window.
        case rate(Double)
    }

    /// How far back the rate looks.
    var span: Duration = .seconds(5)
    /// How much data the first figure waits for.
    var minimum: Duration = .seconds(1)
    /// How long nothing may move before the rate reads as stalled.
    var stallAfter: Duration = .seconds(3)

    private struct Sample { var time: Duration; var bytes: Int64 }
    /// Cumulative bytes at the times they were reported, oldest first; one sample before the
    /// window is kept to interpolate its start.
    private var samples: [Sample] = []
    /// When bytes could first move (the first PUT began); the window never reaches before it.
    private var origin: Duration?
    private var lastMove: Duration?
    /// Every byte recorded, retries included.
    private(set) var total: Int64 = 0

    /// Bytes can move from `time` on (a PUT began). Only the first call counts.
    mutating func begin(at time: Duration) {
        guard origin == nil else { return }
        origin = time
        lastMove = time
        samples = [Sample(time: time, bytes: total)]
    }

    /// `bytes` more were taken at `time`.
    mutating func add(_ bytes: Int64, at time: Duration) {
        guard bytes > 0 else { return }
        begin(at: time)
        let at = max(time, samples.last?.time ?? time)
        total += bytes
        samples.append(Sample(time: at, bytes: total))
        lastMove = at
        // Keep one sample at or before the window's start, for interpolation.
        if let keep = samples.lastIndex(where: { $0.time <= at - span }), keep > 0 {
            samples.removeFirst(keep)
        }
    }

    /// The rate at `now` (engine clock).
    func reading(at now: Duration) -> Reading {
        guard let origin, now - origin >= minimum else { return .measuring }
        if let lastMove, now - lastMove >= stallAfter { return .stalled }
        let start = max(origin, now - span)
        let seconds = (now - start) / .seconds(1)
        guard seconds > 0 else { return .measuring }
        return .rate(Double(total - bytes(at: start)) / seconds)
    }

    /// Cumulative bytes at `time`, interpolated between the samples around it: a progress
    /// report covers the bytes taken since the one before it.
    private func bytes(at time: Duration) -> Int64 {
        guard let after = samples.firstIndex(where: { $0.time > time }) else { return samples.last?.bytes ?? total }
        guard after > 0 else { return samples[0].bytes }
        let a = samples[after - 1], b = samples[after]
        let fraction = (time - a.time) / (b.time - a.time)
        return a.bytes + Int64(Double(b.bytes - a.bytes) * fraction)
    }
}
