import Foundation
import HoistServer

/// The real upload server, in-process on 127.0.0.1 port 0 with a fresh data directory
/// and a member key with both scopes and persona 100.
public struct TestServer: Sendable {
    public let server: UploadServer
    public let dataDirectory: String
    public let key: String
    public let clock: ManualClock?

    public var baseURL: String { server.baseURL }

    /// Runs `body` with a started server and awaits its shutdown, even when `body` throws.
    ///
    /// `clock` makes time movable, `configure` changes anything else.
    @discardableResult
    public static func with<T>(
        sessionTTL: TimeInterval = 3600, clock: ManualClock? = nil,
        configure: (inout ServerConfiguration) -> Void = { _ in },
        _ body: (TestServer) async throws -> T
    ) async throws -> T {
        let server = try await start(sessionTTL: sessionTTL, clock: clock, configure: configure)
        return try await withAwaitedCleanup(server, cleanup: { await $0.stop() }, body)
    }

    /// Starts a server; the caller must await `stop()` on every path. Prefer `with`.
    public static func start(
        sessionTTL: TimeInterval = 3600, clock: ManualClock? = nil,
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> TestServer {
        let directory = try TempDirectory.make(prefix: "hoist-server")
        var config = ServerConfiguration(dataDirectory: directory)
        config.sessionTTL = sessionTTL
        if let clock { config.clock = clock }
        configure(&config)
        let server = try await UploadServer.start(config)
        let key = try KeyAdmin(dataDirectory: directory).createKey(scopes: ["files:create", "files:read"], personas: [100])
        return TestServer(server: server, dataDirectory: directory, key: key, clock: clock)
    }

    /// Another key in the same data directory.
    public func makeKey(scopes: [String] = ["files:create", "files:read"], role: String = "member",
                        personas: [Int64] = [], user: String? = nil) throws -> String {
        try KeyAdmin(dataDirectory: dataDirectory).createKey(scopes: scopes, role: role, personas: personas, user: user)
    }

    /// Stops the server and removes its data.
    public func stop() async {
        try? await server.shutdown()
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }
}

/// Temporary directories for tests.
public enum TempDirectory {
    public static func make(prefix: String) throws -> String {
        let path = NSTemporaryDirectory() + "/\(prefix)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
