import GRDB
import Synchronization

/// Runs the server's write transactions in groups: writes that arrive while a commit is in
/// progress join the next transaction, each inside a savepoint of its own (a write alone in
/// its transaction needs none).
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
        /// Runs the write, inside a savepoint unless it is alone in its transaction (`alone`);
        /// returns whether it failed, and how to answer the caller once the group's commit
        /// is known (`nil`: committed, else the commit's error).
        let run: @Sendable (_ db: Database, _ alone: Bool) -> (failed: Bool, answer: @Sendable ((any Error)?) -> Void)
        /// Answers the caller when the group's transaction could not even begin.
        let fail: @Sendable (any Error) -> Void
    }

    /// How many writes wait for a commit now.
    var waiting: Int { state.withLock { $0.pending.count } }

    init(pool: DatabasePool) {
        self.pool = pool
    }

    /// Runs `body` in a write transaction shared with the other writes waiting now, and
    /// returns its value once that transaction has committed.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let member = Member(
                run: { db, alone in
                    let outcome: Result<T, any Error>
                    do {
                        if alone {
                            // Its transaction is its savepoint: a failure rolls the whole back.
                            outcome = .success(try body(db))
                        } else {
                            var value: T?
                            try db.inSavepoint {
                                value = try body(db)
                                return .commit
                            }
                            outcome = value.map { .success($0) } ?? .failure(DatabaseError(message: "the write returned nothing"))
                        }
                    } catch {
                        outcome = .failure(error)
                    }
                    let failed = if case .failure = outcome { true } else { false }
                    return (failed, { commitError in
                        if let commitError { continuation.resume(throwing: commitError) } else { continuation.resume(with: outcome) }
                    })
                },
                fail: { continuation.resume(throwing: $0) })
            let lead = state.withLock { state -> Bool in
                state.pending.append(member)
                defer { state.draining = true }
                return !state.draining
            }
            if lead { commitAsLeader() }
        }
    }

    /// Commits the group of a write that found no commit in progress, on the caller's thread.
    ///
    /// Handing every commit to the writer queue and resuming afterwards woke two idle threads
    /// per request. Over a 40 ms link with 16 small uploads at a time that hop was about
    /// 0.4 ms of a create's 1.2–2 ms in the server, more than the insert itself. With no
    /// commit in progress the writer queue is idle (every write of the server goes through
    /// here), so a synchronous write runs inline. It holds this thread for one commit and
    /// its fsync (a few hundred microseconds; longer only while another process such as
    /// `hoist keys create` holds SQLite's write lock). Writes that arrive meanwhile wait
    /// suspended and their group goes to the writer queue, so no caller's thread ever
    /// commits more than one group.
    private func commitAsLeader() {
        pool.writeWithoutTransaction { db in _ = commitGroup(db) }
        let more = state.withLock { state -> Bool in
            if state.pending.isEmpty { state.draining = false }
            return state.draining
        }
        if more { pool.asyncWriteWithoutTransaction { [self] db in drain(db) } }
    }

    /// Commits groups until no write is waiting.
    private func drain(_ db: Database) {
        while commitGroup(db) {}
    }

    /// Commits the writes waiting now as one transaction and answers them; returns false,
    /// having marked the drain finished, when none was waiting.
    private func commitGroup(_ db: Database) -> Bool {
        let group = state.withLock { state -> [Member] in
            let group = state.pending
            state.pending = []
            if group.isEmpty { state.draining = false }
            return group
        }
        if group.isEmpty { return false }
        var answers: [@Sendable ((any Error)?) -> Void] = []
        var commitError: (any Error)?
        do {
            try db.inTransaction(.immediate) {
                // A write alone in its group runs without a savepoint (two statements GRDB
                // parses anew each time, on every write when requests come one at a time);
                // if it fails, the transaction is rolled back instead, which undoes the same.
                let alone = group.count == 1
                let results = group.map { $0.run(db, alone) }
                answers = results.map(\.answer)
                return alone && results[0].failed ? .rollback : .commit
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
        return true
    }
}
