import Foundation
import HoistTestSupport
import Synchronization
import Testing
import _ConnectionPoolModule

@testable import HoistServer

/// `DatabaseDeadline` without a database: work that the test holds and releases, so that
/// what happens on each side of the limit is decided by the test, not by timing.
@Suite struct DatabaseDeadlineTests {
    /// A gate the work waits at until the test opens it.
    final class Hold: Sendable {
        private let stream: AsyncStream<Void>
        private let continuation: AsyncStream<Void>.Continuation
        init() { (stream, continuation) = AsyncStream.makeStream() }
        func wait() async { for await _ in stream { return } }
        func open() { continuation.yield() }
    }

    @Test("work still running at the limit: the caller gets 503 unavailable at once, and the work's later COMMIT is refused (it rolls back)")
    func pastTheLimitTheCommitIsRefused() async throws {
        let hold = Hold()
        let refused = Mutex<Bool?>(nil)
        let started = ContinuousClock.now
        let error = await #expect(throws: APIError.self) {
            try await DatabaseDeadline(limit: .milliseconds(200)).run { gate in
                await hold.wait()
                do {
                    try gate.claimCommit()
                    refused.withLock { $0 = false }
                } catch {
                    refused.withLock { $0 = true }
                }
                return 1
            }
        }
        #expect(error?.code == "unavailable" && error?.status == .serviceUnavailable)
        #expect(ContinuousClock.now - started < .seconds(20))
        hold.open()
        #expect(await waitUntil { refused.withLock { $0 } != nil })
        #expect(refused.withLock { $0 } == true)
    }

    @Test("a COMMIT claimed before the limit is waited for past it: the caller gets the work's own answer")
    func aClaimedCommitIsWaitedFor() async throws {
        let hold = Hold()
        let claimed = Mutex(false)
        let run = Task {
            try await DatabaseDeadline(limit: .milliseconds(100)).run { gate in
                try gate.claimCommit()
                claimed.withLock { $0 = true }
                await hold.wait()
                return 42
            }
        }
        #expect(await waitUntil { claimed.withLock { $0 } })
        // Well past the limit before the COMMIT answers.
        let past = ContinuousClock.now + .milliseconds(400)
        #expect(await waitUntil { ContinuousClock.now > past })
        hold.open()
        #expect(try await run.value == 42)
    }

    @Test("an error of the work reaches the caller as it is; a failed connection becomes 503")
    func errorsPassOrBecomeUnavailable() async throws {
        await #expect(throws: APIError.notFound()) {
            try await DatabaseDeadline(limit: .seconds(30)).run { _ -> Int in throw APIError.notFound() }
        }
        #expect(PostgresStoreError.isUnavailable(APIError.notFound()) == false)
        // After about a minute of failed connects the pool stops trying for a while and says
        // so at once: that is the database being away, not a server fault (500).
        let tripped = await #expect(throws: APIError.self) {
            try await DatabaseDeadline(limit: .seconds(30)).run { _ -> Int in
                throw ConnectionPoolError.connectionCreationCircuitBreakerTripped
            }
        }
        #expect(tripped?.code == "unavailable")
    }
}
