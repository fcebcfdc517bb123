import Foundation

/// Checks `condition` every `interval` until it holds or `timeout` seconds passed; whether it held.
///
/// Tests wait for conditions, never for fixed sleeps: this is the one place that sleeps.
/// The default is generous because `swift test` starts every test at once: on a loaded 2-core
/// CI machine a step that takes 0.1 s alone has taken over 10 s. A passing test never waits
/// that long. The condition is checked once more after the deadline, so a sleep stretched by
/// load cannot turn a condition that holds into a failure. A cancelled task stops waiting.
@discardableResult
public func waitUntil(
    timeout: TimeInterval = 30, every interval: Duration = .milliseconds(20), _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
        if Date() >= deadline || Task.isCancelled { return try await condition() }
    }
}
