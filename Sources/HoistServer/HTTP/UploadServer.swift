import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The reference upload server for both dialects; runs standalone (`hoist serve`) or
/// embedded in-process.
public final class UploadServer: Sendable {
    /// Where clients reach it, e.g. `http://127.0.0.1:8080`.
    public let baseURL: String
    /// The port it listens on (the one picked when 0 was asked for).
    public let port: Int
    let state: ServerState
    private let group: ServiceGroup
    private let running: Task<Void, any Error>
    private let sweeper: Task<Void, Never>

    private init(baseURL: String, port: Int, state: ServerState, group: ServiceGroup, running: Task<Void, any Error>,
                 sweeper: Task<Void, Never>) {
        self.baseURL = baseURL
        self.port = port
        self.state = state
        self.group = group
        self.running = running
        self.sweeper = sweeper
    }

    /// Opens the data directory, recovers from any crash, binds, and returns once the
    /// server is listening. `handlingSignals` makes SIGINT and SIGTERM shut it down
    /// gracefully (standalone use); embedded, the host program owns its signals.
    public static func start(_ config: ServerConfiguration, handlingSignals: Bool = false, logger: Logger? = nil)
        async throws -> UploadServer
    {
        let store = try SQLiteStore(directory: config.dataDirectory)
        let blobs = try DiskBlobStore(dataDirectory: config.dataDirectory)
        // A body cut off by a crash never became an object: its temp file, and any blob
        // renamed into place whose commit did not happen, are dropped.
        blobs.clearTemporary()
        let referenced = try store.referencedBlobIds()
        for blob in blobs.allBlobIds() where !referenced.contains(blob) { blobs.delete(blob) }
        let state = ServerState(config: config, store: store, blobs: blobs, signer: URLSigner(secret: try store.signingSecret()))

        let router = Router()
        router.add(middleware: CORSMiddleware(allowedOrigins: config.allowedOrigins))
        LightfieldRoutes(state: state).register(on: router)
        LuwRoutes(state: state).register(on: router)
        StorageRoutes(state: state).register(on: router)

        let gate = ContinueGate(state: state)
        var log = logger ?? Logger(label: "hoist.server")
        if logger == nil { log.logLevel = .warning }
        let bound = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [ExpectContinueHandler(gate: gate.verdict)])),
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: "hoist"),
            onServerRunning: { channel in
                bound.continuation.yield(channel.localAddress?.port ?? config.port)
                bound.continuation.finish()
            },
            logger: log)
        let group = ServiceGroup(configuration: .init(
            services: [app], gracefulShutdownSignals: handlingSignals ? [.sigterm, .sigint] : [], logger: log))
        let running = Task {
            defer { bound.continuation.finish() }
            try await group.run()
        }
        var port: Int?
        for await value in bound.stream { port = value }
        guard let port else {
            try await running.value
            throw ServerStartError(description: "the server stopped before it was listening")
        }
        let interval = config.sweepInterval
        let sweeper = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(interval))
                if Task.isCancelled { break }
                _ = try? await Self.sweep(state)
            }
        }
        let host = config.host.contains(":") ? "[\(config.host)]" : config.host
        return UploadServer(baseURL: "http://\(host):\(port)", port: port, state: state, group: group, running: running,
                            sweeper: sweeper)
    }

    /// Expires overdue sessions and deletes Luw objects whose time is up (`x12tmp-` files
    /// 12 hours after their PUT, unfinalized ones after 24), now.
    public func sweep() async throws {
        try await Self.sweep(state)
    }

    private static func sweep(_ state: ServerState) async throws {
        state.deleteBlobs(try await state.store.sweep(now: state.now()))
    }

    /// Stops accepting connections and waits for the server to wind down.
    public func shutdown() async throws {
        sweeper.cancel()
        await group.triggerGracefulShutdown()
        try await running.value
    }

    /// Runs until the server stops (for `hoist serve`).
    public func wait() async throws {
        try await running.value
    }
}

/// The server failed to start.
public struct ServerStartError: Error, CustomStringConvertible {
    public let description: String
}

/// Judges `Expect: 100-continue` request heads with the same checks the routes make.
struct ContinueGate: Sendable {
    let state: ServerState

    func verdict(_ head: HTTPRequest) -> ContinueVerdict {
        guard let path = head.path, path.hasPrefix("/storage/"), let target = StorageGate.Target(path: path) else {
            return .proceed
        }
        do {
            let session = try? state.store.sessionNow(id: target.sessionId)
            try StorageGate(signer: state.signer).check(
                method: head.method, target: target, headers: head.headerFields, session: session, now: state.now())
            return .proceed
        } catch {
            return .reject(error.status, target.dialect.errorBody(error))
        }
    }
}
