import Foundation
import Synchronization

/// The source of "now" for every expiry rule in the server.
///
/// Injected so that tests can move time instead of waiting for it.
public protocol ServerClock: Sendable {
    /// The current wall-clock time.
    func now() -> Date
}

/// The real clock.
public struct SystemClock: ServerClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that only moves when told to; for tests.
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
