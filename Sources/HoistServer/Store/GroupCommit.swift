import GRDB
import Synchronization

/// Runs the server's write transactions in groups: writes that arrive while a commit is in
/// progress join the next transaction, each inside a savepoint of its own.
///
/// Every commit of the WAL costs an fsync (milliseconds on real disks) and SQLite has one
/// writer, so one transaction per request caps the whole server at one write per fsync.
/// Grouped, concurrent requests share one fsync. Nothing is weakened: each caller resumes
/// only after the transaction holding its change has committed, its own error rolls back
/// only its savepoint, and a failed commit fails every member of the group.
final class GroupCommit: Sendable {
    private let pool: DatabasePool
    private let state = Mutex(State())

    private struct State {
        var pending: [Member] = []
        /// A drain is scheduled or running on the writer queue.
        var draining = false
    }

    /// One caller's write.
    private struct Member: Sendable {
        /// Runs the write inside a savepoint; returns how to answer the caller once the
        /// group's commit is known (`nil`: committed, else the commit's error).
        let run: @Sendable (Database) -> @Sendable ((any Error)?) -> Void
        /// Answers the caller when the group's transaction could not even begin.
        let fail: @Sendable (any Error) -> Void
    }

    init(pool: DatabasePool) {
        self.pool = pool
    }

    /// Runs `body` in a write transaction shared with the other writes waiting now, and
    /// returns its value once that transaction has committed.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let member = Member(
                run: { db in
                    let outcome: Result<T, any Error>
                    do {
                        var value: T?
                        try db.inSavepoint {
                            value = try body(db)
                            return .commit
                        }
                        outcome = value.map { .success($0) } ?? .failure(DatabaseError(message: "the write returned nothing"))
                    } catch {
                        outcome = .failure(error)
                    }
                    return { commitError in
                        if let commitError { continuation.resume(throwing: commitError) } else { continuation.resume(with: outcome) }
                    }
                },
                fail: { continuation.resume(throwing: $0) })
            let startDrain = state.withLock { state -> Bool in
                state.pending.append(member)
                defer { state.draining = true }
                return !state.draining
            }
            if startDrain { pool.asyncWriteWithoutTransaction { [self] db in drain(db) } }
        }
    }

    /// Commits groups until no write is waiting.
    private func drain(_ db: Database) {
        while true {
            let group = state.withLock { state -> [Member] in
                let group = state.pending
                state.pending = []
                if group.isEmpty { state.draining = false }
                return group
            }
            if group.isEmpty { return }
            var answers: [@Sendable ((any Error)?) -> Void] = []
            var commitError: (any Error)?
            do {
                try db.inTransaction(.immediate) {
                    answers = group.map { $0.run(db) }
                    return .commit
                }
            } catch {
                commitError = error
            }
            if answers.isEmpty {
                // BEGIN failed, so no member ran.
                let error = commitError ?? DatabaseError(message: "the transaction did not run")
                for member in group { member.fail(error) }
            } else {
                for answer in answers { answer(commitError) }
            }
        }
    }
}
