/// Runs `body` with `resource`, then awaits `cleanup`, whether `body` returned or threw.
///
/// `defer { Task { await cleanup() } }` starts a cleanup nobody waits for: the next test
/// may begin while the last server still shuts down. This one finishes first.
@discardableResult
public func withAwaitedCleanup<Resource, T>(
    _ resource: Resource, cleanup: (Resource) async -> Void, _ body: (Resource) async throws -> T
) async throws -> T {
    do {
        let result = try await body(resource)
        await cleanup(resource)
        return result
    } catch {
        await cleanup(resource)
        throw error
    }
}
