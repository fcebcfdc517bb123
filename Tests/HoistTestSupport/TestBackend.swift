import Foundation
import HoistServer

/// The backends test servers use, from `HOIST_TEST_BACKEND`:
/// - unset: SQLite and blobs in the data directory (the embedded default);
/// - `postgres`: metadata in PostgreSQL, blobs on disk;
/// - `postgres+s3`: metadata in PostgreSQL, bytes PUT straight to a moto bucket.
///
/// `.ci/run` runs the server suite under each. Every server gets a PostgreSQL database and
/// a bucket of its own, made for it and dropped after it, so tests stay as independent as
/// their directories.
public enum TestBackend {
    static var name: String { ProcessInfo.processInfo.environment["HOIST_TEST_BACKEND"] ?? "" }

    /// True when test servers keep their metadata in PostgreSQL.
    public static var isPostgres: Bool { name.hasPrefix("postgres") }

    /// True when clients PUT to the bucket and the server never sees the bytes: tests of the
    /// server's own byte path (its storage URLs, bodies, `Expect: 100-continue`) do not apply.
    public static var bytesGoToS3: Bool { name.hasSuffix("+s3") }

    /// Why a test runs only where the server receives the bytes itself.
    public static let diskOnly = "the server's own storage URLs receive the bytes only with the disk blob store"

    /// A new, empty metadata store for one server; `drop` removes it.
    public static func makeStore() async throws -> (location: MetadataLocation, drop: @Sendable () async -> Void) {
        guard isPostgres else { return (.sqlite, {}) }
        let database = try await TestPostgres.makeDatabase()
        return (.postgres(database.url), database.drop)
    }

    /// A new moto bucket for one server when bytes go to S3; nil on disk.
    public static func makeBlobs() async throws -> TestS3Blobs? {
        bytesGoToS3 ? try await TestS3Blobs.make("srv") : nil
    }
}
