import Foundation

/// Checks `condition` every `interval` until it holds or `timeout` seconds passed; whether it held.
///
/// Tests wait for conditions, never for fixed sleeps: this is the one place that sleeps.
/// Every check starts before the deadline; a cancelled task stops waiting.
@discardableResult
public func waitUntil(
    timeout: TimeInterval = 10, every interval: Duration = .milliseconds(20), _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
        if Date() >= deadline || Task.isCancelled { return false }
    }
}
