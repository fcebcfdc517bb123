import Foundation
import PostgresNIO
import Synchronization

/// A time limit on one use of the database, so that a database that stalls (a lock held
/// for minutes, a link gone without a reset, a pool still backing off after an outage)
/// costs a request a clear 503 after `limit` instead of holding it, and a SIGTERM's
/// graceful shutdown, for good.
///
/// The work is not awaited past the limit: postgres-nio gives up a wait for a pooled
/// connection when its task is cancelled, but not a query already sent, which ends only
/// when the database answers or the connection drops. Structured concurrency would wait
/// for it, so the work runs in a task of its own, cancelled, and left to finish.
struct DatabaseDeadline: Sendable {
    let limit: Duration

    /// `work`'s value, or ``APIError/databaseUnavailable()`` once `limit` has passed or the
    /// database's connections failed (see ``isUnavailable(_:)``).
    func run<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let job = Task { try await work() }
        let outcome = Once<T>()
        let timer = Task {
            try? await Task.sleep(for: limit)
            if outcome.fail(APIError.databaseUnavailable()) { job.cancel() }
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                outcome.attach(continuation)
                Task {
                    do {
                        outcome.succeed(try await job.value)
                    } catch {
                        outcome.fail(Self.isUnavailable(error) ? APIError.databaseUnavailable() : error)
                    }
                    timer.cancel()
                }
            }
        } onCancel: {
            job.cancel()
            timer.cancel()
        }
    }

    /// Errors that say the database cannot be used now, rather than that a statement is wrong:
    /// connections closed or refused, the pool shut, or the server's own "shutting down",
    /// "starting up" and "too many connections" (SQLSTATE 57P01-57P03, 53300).
    static func isUnavailable(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed:
            return true
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            return ["57P01", "57P02", "57P03", "53300"].contains(state)
        default:
            return false
        }
    }

    /// The one answer of a race between the work and the timer; the continuation may be
    /// attached after either has finished.
    private final class Once<T: Sendable>: Sendable {
        private struct State {
            var result: Result<T, any Error>?
            var continuation: CheckedContinuation<T, any Error>?
            var resumed = false
        }
        private let state = Mutex(State())

        func attach(_ continuation: CheckedContinuation<T, any Error>) {
            let ready = state.withLock { state -> Result<T, any Error>? in
                if let result = state.result {
                    state.resumed = true
                    return result
                }
                state.continuation = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }

        func succeed(_ value: T) { _ = settle(.success(value)) }

        /// Whether this failure was the answer (false when the other side came first).
        @discardableResult
        func fail(_ error: any Error) -> Bool { settle(.failure(error)) }

        private func settle(_ result: Result<T, any Error>) -> Bool {
            let (first, continuation) = state.withLock { state -> (Bool, CheckedContinuation<T, any Error>?) in
                guard state.result == nil else { return (false, nil) }
                state.result = result
                guard let continuation = state.continuation, !state.resumed else { return (true, nil) }
                state.resumed = true
                state.continuation = nil
                return (true, continuation)
            }
            continuation?.resume(with: result)
            return first
        }
    }
}
