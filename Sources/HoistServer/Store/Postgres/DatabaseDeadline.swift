import Foundation
import Synchronization

/// A time limit on one use of the database, so that a database that stalls (a lock held
/// for minutes, a link gone without a reset, a pool still backing off after an outage)
/// costs a request a clear 503 after `limit` instead of holding it, and a SIGTERM's
/// graceful shutdown, for good.
///
/// The work is not awaited past the limit: postgres-nio gives up a wait for a pooled
/// connection when its task is cancelled, but not a statement already sent, which ends only
/// when the database answers, cancels it (`statement_timeout`) or the connection drops.
/// Structured concurrency would wait for it, so the work runs in a task of its own.
///
/// A 503 must mean "nothing changed", so a transaction claims the ``CommitGate`` just
/// before its COMMIT: once the limit has passed the claim fails and the transaction rolls
/// back; once the claim is made, the limit waits for the COMMIT's own answer instead.
struct DatabaseDeadline: Sendable {
    /// The default `timeout=` of a `postgres://` URL.
    static let defaultLimit: Duration = .seconds(30)

    let limit: Duration

    /// `work`'s value, or ``APIError/databaseUnavailable()`` once `limit` has passed before
    /// it committed, or when the database's connections failed
    /// (``PostgresStoreError/isUnavailable(_:)``). A cancelled caller cancels the work.
    func run<T: Sendable>(_ work: @escaping @Sendable (any CommitGate) async throws -> T) async throws -> T {
        let race = Race<T>()
        let job = Task {
            do {
                race.finish(.success(try await work(race)))
            } catch {
                race.finish(.failure(PostgresStoreError.answer(for: error)))
            }
        }
        let limit = limit
        let timer = Task {
            // Cancelled: the work ended, or its caller went (whose cancel reaches the work).
            guard (try? await Task.sleep(for: limit)) != nil else { return }
            if race.expire() { job.cancel() }
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { race.attach($0) }
        } onCancel: {
            job.cancel()
        }
    }

    /// The one answer of the race between the work and the limit. The continuation may be
    /// attached after either has answered.
    private final class Race<T: Sendable>: CommitGate, Sendable {
        private enum Phase {
            case running
            /// COMMIT is on its way: the limit no longer answers for it.
            case committing
            case answered
        }
        private struct State {
            var phase = Phase.running
            var result: Result<T, any Error>?
            var continuation: CheckedContinuation<T, any Error>?
        }
        private let state = Mutex(State())

        func attach(_ continuation: CheckedContinuation<T, any Error>) {
            let ready = state.withLock { state -> Result<T, any Error>? in
                guard let result = state.result else {
                    state.continuation = continuation
                    return nil
                }
                return result
            }
            if let ready { continuation.resume(with: ready) }
        }

        /// The work's own outcome; dropped when the limit answered first (a rolled-back
        /// transaction, or a read nobody waits for).
        func finish(_ result: Result<T, any Error>) {
            answer(result, unless: [.answered])
        }

        /// The limit has passed: answers 503 unless the work answered or is committing.
        /// Returns whether it answered.
        func expire() -> Bool {
            answer(.failure(APIError.databaseUnavailable()), unless: [.answered, .committing])
        }

        func claimCommit() throws {
            try state.withLock { state in
                guard state.phase == .running else { throw APIError.databaseUnavailable() }
                state.phase = .committing
            }
        }

        @discardableResult
        private func answer(_ result: Result<T, any Error>, unless phases: Set<Phase>) -> Bool {
            let continuation = state.withLock { state -> CheckedContinuation<T, any Error>?? in
                guard !phases.contains(state.phase) else { return .none }
                state.phase = .answered
                state.result = result
                defer { state.continuation = nil }
                return .some(state.continuation)
            }
            guard let continuation else { return false }
            continuation?.resume(with: result)
            return true
        }
    }
}

/// What a transaction asks just before its COMMIT: whether it may still commit. Throws
/// ``APIError/databaseUnavailable()`` when its deadline has answered for it already.
protocol CommitGate: Sendable {
    func claimCommit() throws
}
