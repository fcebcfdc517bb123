import Foundation
import Logging
import NIOCore
import PostgresNIO
import _ConnectionPoolModule

/// The server's metadata in PostgreSQL, shared by any number of `hoist serve` instances.
///
/// Each state change is one transaction, committed before the method returns. Rows are
/// locked in one order everywhere (the object key's advisory lock, then the session row,
/// then the object row), so concurrent requests on several instances serialise on what
/// they share; a deadlock or serialisation failure that still happens is retried.
struct PostgresStore: MetadataStore {
    let client: PostgresClient
    private let running: Task<Void, Never>
    let logger: Logger
    /// Every use of the database ends within this, answered or 503.
    let deadline: DatabaseDeadline
    let expiries = ExpiryReports()
    /// This instance, as the database's leases name it (`discard_lease`).
    let instance = UUID().uuidString
    /// The sweep's: after an outage it may have a backlog of thousands of sessions to end in
    /// one transaction, which a request's limit would roll back on every pass.
    var sweepDeadline: DatabaseDeadline { DatabaseDeadline(limit: max(deadline.limit * 10, .seconds(300))) }

    /// Connects to `url`, migrates the schema (one instance at a time) and returns once
    /// the database has answered.
    static func open(url: String) async throws -> PostgresStore {
        let configuration = try PostgresURL.parse(url)
        let logger = Logger(label: "hoist.postgres")
        // First contact on one connection, which fails at once with the reason (refused,
        // no such database, bad password); the pool would retry quietly for minutes.
        do {
            let connection = try await PostgresConnection.connect(configuration: configuration.connection, id: 0, logger: logger)
            do {
                // The first contact sends the pool's startup parameters too, so a server (or a
                // proxy such as PgBouncer) that refuses them fails the start with its reason;
                // the migration itself is not held to a request's limit.
                try await connection.query("SET statement_timeout = 0", logger: logger)
                try await PostgresSchema.migrate(connection, logger: logger)
            } catch {
                try? await connection.close()
                throw error
            }
            try? await connection.close()
        } catch {
            throw PostgresStoreError("cannot use the PostgreSQL database at \(configuration.display): \(PostgresStoreError.describe(error))")
        }
        let client = PostgresClient(configuration: configuration.client)
        let running = Task { await client.run() }
        return PostgresStore(client: client, running: running, logger: logger, deadline: DatabaseDeadline(limit: configuration.timeout))
    }

    /// Whether the database at `url` holds hoist's schema (its keys table), without making it.
    static func holdsSchema(url: String) async throws -> Bool {
        let configuration = try PostgresURL.parse(url)
        let logger = Logger(label: "hoist.postgres")
        do {
            let connection = try await PostgresConnection.connect(configuration: configuration.connection, id: 0, logger: logger)
            var present = false
            do {
                for try await found in try await connection.query("SELECT to_regclass('api_keys') IS NOT NULL", logger: logger).decode(Bool.self) {
                    present = found
                }
            } catch {
                try? await connection.close()
                throw error
            }
            try? await connection.close()
            return present
        } catch {
            throw PostgresStoreError("cannot use the PostgreSQL database at \(configuration.display): \(PostgresStoreError.describe(error))")
        }
    }

    func close() async {
        running.cancel()
        await running.value
    }

    func signingSecret() async throws -> Data {
        let secret = try await records("SELECT value FROM settings WHERE name = 'signingSecret'") { row in
            Data(try row.decode(ByteBuffer.self).readableBytesView)
        }.first
        guard let secret else { throw PostgresStoreError("the database has no signing secret; was its schema made by hoist?") }
        return secret
    }

    /// The rows of one read (no transaction), each made into a record; within the deadline.
    func records<T: Sendable>(_ query: PostgresQuery, _ make: @escaping @Sendable (PostgresRow) throws -> T) async throws -> [T] {
        let (client, logger) = (client, logger)
        return try await deadline.run { _ in try await client.records(query, logger: logger, make) }
    }

    /// PostgreSQL answers only over the network: the `Expect: 100-continue` gate checks the
    /// URL and leaves the session's state to the route.
    func sessionWithoutWaiting(id: String) -> SessionPeek { .unknown }
    func objectExistsWithoutWaiting(key: String) -> Bool? { nil }

    /// Runs `body` in one transaction on one connection; its own errors (an `APIError`)
    /// roll it back and reach the caller unwrapped. Deadlocks and serialisation failures
    /// run it again, a few times.
    /// The whole of it, retries too, is held to `deadline` (the store's by default): past
    /// it, the transaction rolls back rather than commit (see ``DatabaseDeadline``).
    func transaction<T: Sendable>(deadline: DatabaseDeadline? = nil,
                                  _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let (client, logger) = (client, logger)
        return try await (deadline ?? self.deadline).run { gate in
            var attempt = 0
            while true {
                attempt += 1
                do {
                    return try await client.withConnection { connection in
                        try await Self.transaction(on: connection, logger: logger, gate: gate, body)
                    }
                } catch let error as PSQLError where attempt < 4 && PostgresStoreError.isRetryable(error) {
                    continue
                }
            }
        }
    }

    /// A transaction that may expire sessions on its way, reported once it has committed
    /// (a retried attempt's ledger is dropped with it).
    func expiringTransaction<T: Sendable>(deadline: DatabaseDeadline? = nil,
                                          _ body: @escaping @Sendable (PostgresConnection, ExpiryLedger) async throws -> T)
        async throws -> T
    {
        let (value, expired) = try await transaction(deadline: deadline) { connection in
            let ledger = ExpiryLedger()
            return (try await body(connection, ledger), ledger.all)
        }
        expiries.committed(expired)
        return value
    }

    /// BEGIN, `body`, COMMIT on `connection`; ROLLBACK and rethrow when `body` throws, or
    /// when `gate` refuses the COMMIT (its deadline has answered 503 already).
    static func transaction<T: Sendable>(on connection: PostgresConnection, logger: Logger, gate: (any CommitGate)? = nil,
                                         _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await connection.query("BEGIN", logger: logger)
        do {
            let value = try await body(connection)
            try gate?.claimCommit()
            try await connection.query("COMMIT", logger: logger)
            return value
        } catch {
            // A broken connection cannot roll back; the server does it when it drops.
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// Appends to the event log; call inside the transaction that makes the change.
    static func record(_ connection: PostgresConnection, session: String, _ kind: String, at: Date, logger: Logger) async throws {
        try await connection.query(
            "INSERT INTO events (session_id, kind, at) VALUES (\(session), \(kind), \(at.millis))", logger: logger)
    }
}

/// A PostgreSQL metadata store could not be opened or used.
struct PostgresStoreError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }

    /// 40P01 deadlock_detected, 40001 serialization_failure: the transaction may simply run again.
    static func isRetryable(_ error: PSQLError) -> Bool {
        guard let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40P01" || state == "40001"
    }

    /// Errors that say the database cannot be used now, rather than that a statement is wrong:
    /// connections closed or refused (and SQLSTATE class 08), the pool shut or refusing to
    /// try (its circuit breaker trips after about a minute of failed connects), a statement
    /// the database cancelled at the limit (57014), the server's "shutting down", "starting
    /// up" and "too many connections" (57P01-57P03, 53300), and a database without hoist's
    /// tables under a running server (42P01 undefined table, 3F000 no such schema, 3D000 no
    /// such database: dropped, or emptied and made again), which no request can change.
    static func isUnavailable(_ error: any Error) -> Bool {
        if error is ConnectionPoolError { return true }
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed:
            return true
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            return state.hasPrefix("08") || ["57014", "57P01", "57P02", "57P03", "53300"].contains(state) || isSchemaMissing(error)
        default:
            return false
        }
    }

    /// The database answers, but without hoist's tables (42P01 undefined table, 3F000 no
    /// such schema, 3D000 no such database).
    static func isSchemaMissing(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, error.code == .server else { return false }
        return ["42P01", "3F000", "3D000"].contains(error.serverInfo?[.sqlState] ?? "")
    }

    /// What a request answers for `error`: a 503 where the database cannot be used now
    /// (saying why), else `error` itself.
    static func answer(for error: any Error) -> any Error {
        if isSchemaMissing(error) { return APIError.databaseSchemaMissing() }
        return isUnavailable(error) ? APIError.databaseUnavailable() : error
    }

    /// The server's own message when there is one; `PSQLError`'s description hides it.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            if let underlying = error.underlying { return String(describing: underlying) }
            return String(describing: error.code)
        }
        return String(describing: error)
    }
}
