/// A transfer rate smoothed with an exponential moving average over time, so that speed
/// and ETA readings do not jump about with every progress event.
public struct SmoothedRate: Sendable, Equatable {
    /// How quickly older samples fade: after `halfLife`, a sample weighs half.
    public var halfLife: Duration = .seconds(3)
    private var lastTotal: Int64?
    private var lastTime: Duration?
    /// Bytes per second; 0 until two samples are known.
    public private(set) var bytesPerSecond: Double = 0

    public init() {}

    /// Records that `total` bytes had been sent at `time`.
    public mutating func record(total: Int64, at time: Duration) {
        defer {
            lastTotal = total
            lastTime = time
        }
        guard let lastTotal, let lastTime else { return }
        let elapsed = (time - lastTime).seconds
        guard elapsed > 0 else { return }
        let instant = Double(total - lastTotal) / elapsed
        if bytesPerSecond == 0 {
            bytesPerSecond = instant
        } else {
            let keep = pow2(-elapsed / halfLife.seconds)
            bytesPerSecond = keep * bytesPerSecond + (1 - keep) * instant
        }
    }

    /// The transfer ended: no more speed.
    public mutating func stop() {
        bytesPerSecond = 0
        lastTotal = nil
        lastTime = nil
    }

    private func pow2(_ x: Double) -> Double { exp2(x) }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}

#if canImport(Glibc)
import Glibc
#endif
