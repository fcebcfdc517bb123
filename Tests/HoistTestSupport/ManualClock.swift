import Foundation
import HoistServer
import Synchronization

/// A server clock that only moves when told to, so tests move time instead of waiting for it.
public final class ManualClock: ServerClock {
    private let current: Mutex<Date>

    /// Creates a clock stopped at `start`.
    public init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = Mutex(start)
    }

    public func now() -> Date { current.withLock { $0 } }

    /// Moves the clock forward by `seconds`.
    public func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    /// Sets the clock to `date`.
    public func set(_ date: Date) {
        current.withLock { $0 = date }
    }
}
