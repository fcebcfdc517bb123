import Foundation

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
