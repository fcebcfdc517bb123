import Foundation

/// A monotonic clock the engine reads and sleeps on; tests inject a manual one.
public protocol EngineClock: Sendable {
    /// Time since an arbitrary fixed origin.
    func now() -> Duration
    func sleep(for duration: Duration) async throws
}

/// The real clock.
public struct SystemEngineClock: EngineClock {
    private let origin = ContinuousClock.now
    public init() {}
    public func now() -> Duration { ContinuousClock.now - origin }
    public func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }
}

/// The real clock with one origin for every process on this machine (the boot): the
/// background engine stamps events on it and its clients read "now" from it, so rates,
/// stalls and countdowns compare across the socket.
public struct MachineEngineClock: EngineClock {
    public init() {}
    public func now() -> Duration {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return .seconds(Int64(spec.tv_sec)) + .nanoseconds(Int64(spec.tv_nsec))
    }
    public func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }
}
