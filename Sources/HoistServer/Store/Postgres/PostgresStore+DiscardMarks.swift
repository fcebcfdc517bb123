import Foundation
import PostgresNIO

/// The sweeper's clearing of discard marks with several instances on one database: one
/// instance at a time, by a lease in the database (`discard_lease`, one row).
///
/// Why a lease row and not an advisory lock: a session-level lock would pin one pooled
/// connection across every HEAD and DELETE, outside the database deadline, and a
/// transaction-pooling proxy (PgBouncer) would run its lock and unlock on different server
/// connections and strand it; a transaction-level one cannot span the S3 calls. The lease
/// is taken and renewed by single statements, each held to the store's deadline like
/// every other use of the database, and times run on the database's clock, so instances
/// whose clocks differ agree on when a lease has run out.
extension PostgresStore {
    /// How long a lease lasts past its last renewal: far longer than one mark's HEAD and
    /// DELETE (30 s each at most). An instance killed mid-turn holds it no longer.
    static let discardLease: Int64 = 300_000

    /// Each mark is looked up again before its HEAD (the list may be older than another
    /// turn's drop); the lease is renewed before each, and a turn that finds it taken
    /// over (its instance frozen past the lease) stops.
    func clearDiscardMarks(_ marks: [ObjectRecord], _ clear: @escaping @Sendable (ObjectRecord) async -> Bool) async throws {
        guard !marks.isEmpty, try await takeDiscardLease() else { return }
        do {
            for mark in marks {
                guard try await takeDiscardLease() else { return }
                try await clearMark(mark, clear)
            }
        } catch {
            try? await giveBackDiscardLease()
            throw error
        }
        try await giveBackDiscardLease()
    }

    /// Takes the lease, or renews this instance's: true when it is this instance's now.
    private func takeDiscardLease() async throws -> Bool {
        let owner = instance
        return try await transaction { connection in
            var mine = false
            for try await _ in try await connection.query("""
                INSERT INTO discard_lease (id, owner, until_ms)
                VALUES (1, \(owner), (extract(epoch FROM clock_timestamp()) * 1000)::bigint + \(Self.discardLease))
                ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner, until_ms = EXCLUDED.until_ms
                WHERE discard_lease.owner = EXCLUDED.owner
                   OR discard_lease.until_ms <= (extract(epoch FROM clock_timestamp()) * 1000)::bigint
                RETURNING owner
                """, logger: logger).decode(String.self) { mine = true }
            return mine
        }
    }

    /// Ends this instance's lease, so that another's next sweep need not wait it out.
    private func giveBackDiscardLease() async throws {
        let owner = instance
        _ = try await transaction { connection in
            try await connection.query("UPDATE discard_lease SET until_ms = 0 WHERE id = 1 AND owner = \(owner)", logger: logger)
        }
    }
}
