import Foundation
import HoistServer

/// The metadata backend test servers use: SQLite in the data directory, unless
/// `HOIST_TEST_BACKEND=postgres` (`.ci/run` runs the server suites a second time so).
/// Each server then gets a PostgreSQL database of its own, made for it and dropped after
/// it, so tests stay as independent as their directories.
public enum TestBackend {
    /// True when test servers keep their metadata in PostgreSQL.
    public static var isPostgres: Bool { ProcessInfo.processInfo.environment["HOIST_TEST_BACKEND"] == "postgres" }

    /// A new, empty metadata store for one server; `drop` removes it.
    public static func makeStore() async throws -> (location: MetadataLocation, drop: @Sendable () async -> Void) {
        guard isPostgres else { return (.sqlite, {}) }
        let database = try await TestPostgres.makeDatabase()
        return (.postgres(database.url), database.drop)
    }
}
