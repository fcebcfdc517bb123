/// Chooses how many uploads run at once when the user did not: raises the number while the
/// queue goes faster for it, and steps back once it does not.
///
/// Over a link with a long round trip, small files cost round trips, not bytes: 4 at once
/// at 40 ms RTT leave the link mostly idle, while on loopback more than a handful only adds
/// contention. So the tuner measures instead of guessing. It watches completed files and
/// bytes per window; after each raise (half again, at least one more) it compares the new
/// window's rates with the last level's, and raises again only for at least
/// `minimumGain` more files or bytes per second. A raise that did not pay gets one more
/// window: one slow window (a disk stall, a busy moment) once kept `hoist-bench --wan` at
/// about 9 jobs and 62 files/s where it reached 32 and 150 files/s in other runs. If the
/// second does not pay either, it steps back to the last level that paid and stays there.
/// It only judges windows in which the queue kept every slot
/// busy: with fewer files waiting than slots, more slots cannot help. Pure: the engine
/// feeds it its counters on its clock.
struct ConcurrencyTuner: Sendable {
    let range: ClosedRange<Int>
    private(set) var current: Int
    /// Done climbing: the last raise did not pay.
    private(set) var settled = false
    /// At least this much faster (1.1: 10 %) for a raise to count as paying.
    static let minimumGain = 1.1
    /// A window closes after this many completed files (at least), or after `maximumWindow`.
    static let minimumFiles = 12
    static let maximumWindow: Duration = .seconds(5)
    static let minimumWindow: Duration = .seconds(1)

    private struct Mark: Sendable, Equatable {
        var time: Duration
        var files: Int
        var bytes: Int64
    }

    private struct Rates: Sendable, Equatable {
        var files: Double
        var bytes: Double
    }

    private var windowStart: Mark?
    /// The level before the last raise, and its rates.
    private var previous: (level: Int, rates: Rates)?
    /// The current level's first window did not pay; the next one decides.
    private var doubted = false

    init(start: Int, range: ClosedRange<Int>) {
        self.range = range
        current = min(max(start, range.lowerBound), range.upperBound)
    }

    /// The engine's counters at `now`: files and bytes completed so far, and whether every
    /// slot was busy with more waiting since the last call. Returns the new level when it
    /// changes.
    mutating func observe(at now: Duration, files: Int, bytes: Int64, saturated: Bool) -> Int? {
        guard !settled else { return nil }
        let mark = Mark(time: now, files: files, bytes: bytes)
        guard saturated, let start = windowStart else {
            // A window only counts while the queue kept every slot busy from its start.
            windowStart = saturated ? mark : nil
            return nil
        }
        let elapsed = now - start.time
        guard elapsed >= Self.minimumWindow, files - start.files >= Self.minimumFiles || elapsed >= Self.maximumWindow else {
            return nil
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rates = Rates(files: Double(files - start.files) / seconds, bytes: Double(bytes - start.bytes) / seconds)
        windowStart = mark
        if let previous {
            let gain = max(rates.files / max(previous.rates.files, 1e-9), rates.bytes / max(previous.rates.bytes, 1e-9))
            guard gain >= Self.minimumGain else {
                if !doubted {
                    doubted = true
                    return nil
                }
                settled = true
                current = previous.level
                return current
            }
        }
        doubted = false
        guard current < range.upperBound else {
            settled = true
            return nil
        }
        previous = (current, rates)
        current = min(range.upperBound, current + max(1, current / 2))
        return current
    }
}
