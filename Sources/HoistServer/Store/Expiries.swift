import Synchronization

/// The sessions one transaction expired, whichever call did it: the sweeper, or a read,
/// complete, cancel, PUT or listing that found a session past its time. Kept per attempt
/// and reported only after the commit, so that a write rolled back (a cancel refused as
/// `not_pending`, a transaction retried) counts nothing.
final class ExpiryLedger: Sendable {
    private let dialects = Mutex<[Dialect]>([])

    func expired(_ dialect: Dialect) { dialects.withLock { $0.append(dialect) } }

    var all: [Dialect] { dialects.withLock { $0 } }
}

/// Where a store reports the sessions it expired once they are committed: the server's
/// `hoist_uploads_expired_total`. Set once the server's metrics exist; before that (or in
/// `hoist keys`, which serves nothing) expiries are not counted anywhere.
final class ExpiryReports: Sendable {
    private let observer = Mutex<(@Sendable (Dialect) -> Void)?>(nil)

    func observe(_ body: @escaping @Sendable (Dialect) -> Void) { observer.withLock { $0 = body } }

    func committed(_ dialects: [Dialect]) {
        guard !dialects.isEmpty, let observer = observer.withLock({ $0 }) else { return }
        for dialect in dialects { observer(dialect) }
    }
}
