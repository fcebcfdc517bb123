import Foundation
import GRDB
import HoistServer

/// The real upload server, in-process on 127.0.0.1 port 0 with a fresh data directory
/// (and, under `HOIST_TEST_DATABASE_URL`, a fresh PostgreSQL database: `TestBackend`) and a
/// member key with both scopes and persona 100 (`keyPersonas`).
public struct TestServer: Sendable {
    public let server: UploadServer
    public let dataDirectory: String
    /// Where this server's metadata lives.
    public let metadata: MetadataLocation
    /// Where its bytes live.
    public let blobStore: BlobStoreLocation
    public let key: String
    public let clock: ManualClock?
    private let dropStore: @Sendable () async -> Void

    public var baseURL: String { server.baseURL }

    /// Runs `body` with a started server and awaits its shutdown, even when `body` throws.
    ///
    /// `clock` makes time movable, `dataDirectory` (an empty directory, removed at the end)
    /// replaces the fresh one under the test root, `configure` changes anything else.
    @discardableResult
    public static func with<T>(
        sessionTTL: TimeInterval = 3600, clock: ManualClock? = nil, keyPersonas: [Int64] = [100],
        dataDirectory: String? = nil, configure: (inout ServerConfiguration) -> Void = { _ in },
        _ body: (TestServer) async throws -> T
    ) async throws -> T {
        let server = try await start(sessionTTL: sessionTTL, clock: clock, keyPersonas: keyPersonas,
                                     dataDirectory: dataDirectory, configure: configure)
        return try await withAwaitedCleanup(server, cleanup: { await $0.stop() }, body)
    }

    /// Starts a server; the caller must await `stop()` on every path. Prefer `with`.
    public static func start(
        sessionTTL: TimeInterval = 3600, clock: ManualClock? = nil, keyPersonas: [Int64] = [100],
        dataDirectory: String? = nil, configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> TestServer {
        let directory = try dataDirectory ?? TempDirectory.make(prefix: "hoist-server")
        let store = try await TestBackend.makeStore()
        var config = ServerConfiguration(dataDirectory: directory)
        config.sessionTTL = sessionTTL
        config.metadata = store.location
        try await TestBackend.makeBlobs()?.apply(to: &config)
        if let clock { config.clock = clock }
        configure(&config)
        let server: UploadServer
        do {
            server = try await UploadServer.start(config)
        } catch {
            await store.drop()
            throw error
        }
        let key = try await KeyAdmin(dataDirectory: directory, metadata: config.metadata)
            .createKey(scopes: ["files:create", "files:read"], personas: keyPersonas)
        return TestServer(server: server, dataDirectory: directory, metadata: config.metadata, blobStore: config.blobStore,
                          key: key, clock: clock,
                          dropStore: store.drop)
    }

    /// Another key in the same store.
    public func makeKey(scopes: [String] = ["files:create", "files:read"], role: String = "member",
                        personas: [Int64] = [], user: String? = nil) async throws -> String {
        try await KeyAdmin(dataDirectory: dataDirectory, metadata: metadata)
            .createKey(scopes: scopes, role: role, personas: personas, user: user)
    }

    /// The sizes of the temporary files the server holds open for bodies it is receiving,
    /// named or not (an unnamed `O_TMPFILE` file is seen only through its descriptor). Read
    /// from /proc/self/fd: the server runs in this process. Nil when that cannot be read, so
    /// that a check for none open cannot pass by seeing nothing.
    public func openTemporaryBodies() -> [Int64]? {
        Self.openFiles(in: dataDirectory + "/tmp")
    }

    /// The sizes of the files in `directory` that a process (this one unless `pid` says
    /// another) holds open, named or not; nil when its descriptors cannot be read.
    public static func openFiles(in directory: String, pid: pid_t? = nil) -> [Int64]? {
        openFileStatus(in: directory, pid: pid)?.map { Int64($0.st_size) }
    }

    /// The status flags (`open`'s, as /proc/self/fdinfo shows them) of each temporary file
    /// the server holds open for a body it is receiving; nil when they cannot be read.
    public func openTemporaryBodyFlags() -> [Int32]? {
        Self.openDescriptors(in: dataDirectory + "/tmp", pid: nil)?.compactMap { fd in
            guard let info = try? String(contentsOfFile: "/proc/self/fdinfo/\(fd)", encoding: .utf8),
                  let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags:") })
            else { return nil }
            return Int32(line.dropFirst("flags:".count).trimmingCharacters(in: .whitespaces), radix: 8)
        }
    }

    /// `stat` of each file in `directory` that a process holds open (see `openFiles`).
    public static func openFileStatus(in directory: String, pid: pid_t? = nil) -> [stat]? {
        openDescriptors(in: directory, pid: pid)?.compactMap { fd in
            var info = stat()
            return stat(descriptorDirectory(pid) + "/\(fd)", &info) == 0 ? info : nil
        }
    }

    /// The descriptors of a process (this one unless `pid` says another) open on files in
    /// `directory`, named or not; nil when its descriptors cannot be read.
    private static func openDescriptors(in directory: String, pid: pid_t?) -> [String]? {
        guard let resolved = realpath(directory, nil) else { return nil }
        let prefix = String(cString: resolved) + "/"
        free(resolved)
        let descriptors = descriptorDirectory(pid)
        guard let all = try? FileManager.default.contentsOfDirectory(atPath: descriptors) else { return nil }
        return all.filter { fd in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: descriptors + "/" + fd))?.hasPrefix(prefix) == true
        }
    }

    private static func descriptorDirectory(_ pid: pid_t?) -> String { "/proc/" + (pid.map(String.init) ?? "self") + "/fd" }

    /// How many blobs the server holds: files under its data directory and small bodies
    /// kept in its SQLite database, or keys in its bucket.
    /// The files in the disk store's `blobs/` (bodies kept in the database not counted).
    public func blobFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dataDirectory + "/blobs")
    }

    public func storedBlobCount() async throws -> Int {
        guard case .s3(let s3) = blobStore else {
            return try FileManager.default.contentsOfDirectory(atPath: dataDirectory + "/blobs").count + smallBodyCount()
        }
        return try await MotoS3.keys(bucket: s3.bucket).count
    }

    /// How many small bodies the server keeps in its SQLite database (0 on PostgreSQL,
    /// which keeps none), read from `hoist.sqlite` as another process would.
    public func smallBodyCount() throws -> Int {
        guard case .sqlite = metadata else { return 0 }
        var config = Configuration()
        config.readonly = true
        let db = try DatabaseQueue(path: dataDirectory + "/hoist.sqlite", configuration: config)
        return try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM smallBodies") ?? 0 }
    }

    /// How the upload URLs it hands out begin: its own storage URLs, or its bucket's keys.
    public var uploadURLPrefix: String {
        guard case .s3(let s3) = blobStore else { return baseURL + "/storage/" }
        return s3.endpoint + "/" + s3.bucket + "/" + s3.prefix + "uploads/"
    }

    /// Stops the server and removes its data.
    public func stop() async {
        try? await server.shutdown()
        await dropStore()
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }
}

