import CHoistIO
import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import SigV4
import UnixSignals

/// The reference upload server for both dialects; runs standalone (`hoist serve`) or
/// embedded in-process.
public final class UploadServer: Sendable {
    /// Where clients reach it, e.g. `http://127.0.0.1:8080`.
    public let baseURL: String
    /// The port it listens on (the one picked when 0 was asked for).
    public let port: Int
    /// The port of the separate metrics listener, when `metricsPort` was configured.
    public let metricsPort: Int?
    /// Every route it serves, as `METHOD /path/{param}`: what `openapi.json` must describe.
    public let routes: [String]
    let state: ServerState
    private let group: ServiceGroup
    private let running: Task<Void, any Error>
    private let sweeper: Task<Void, Never>
    private let impatience: Task<Void, Never>?

    private init(baseURL: String, port: Int, metricsPort: Int?, routes: [String], state: ServerState, group: ServiceGroup,
                 running: Task<Void, any Error>, sweeper: Task<Void, Never>, impatience: Task<Void, Never>?) {
        self.baseURL = baseURL
        self.port = port
        self.metricsPort = metricsPort
        self.routes = routes
        self.state = state
        self.group = group
        self.running = running
        self.sweeper = sweeper
        self.impatience = impatience
    }

    /// Opens the data directory, recovers from any crash, binds, and returns once the
    /// server is listening. `handlingSignals` makes SIGINT and SIGTERM shut it down
    /// gracefully (standalone use); embedded, the host program owns its signals.
    public static func start(_ config: ServerConfiguration, handlingSignals: Bool = false, logger: Logger? = nil)
        async throws -> UploadServer
    {
        // Each connection holds a descriptor; the soft limit is often far below what the
        // process may have.
        let descriptors = FileDescriptorLimit.raiseSoftLimitToHard()
        let store = try await MetadataStores.open(config.metadata, dataDirectory: config.dataDirectory)
        let state: ServerState
        do {
            var secret = config.signingSecret
            if secret == nil { secret = try await store.signingSecret() }
            let signer = URLSigner(secret: secret ?? Data())
            let publicBase = PublicBase(config.publicBaseURL ?? PublicBase.forBound(host: config.host, port: config.port))
            let blobs: any BlobStore
            var disk: DiskBlobStore?
            if let s3 = try Self.s3Store(config) {
                let clock = config.clock
                blobs = S3Blobs(s3: s3, store: store, now: { Date(millis: clock.now().millis) }, downloadTTL: config.downloadTTL,
                                purposes: config.purposes)
            } else {
                let onDisk = try DiskBlobStore(dataDirectory: config.dataDirectory)
                // A body cut off by a crash never became an object: its temp file, and any blob
                // renamed into place whose commit did not happen, are dropped.
                onDisk.clearTemporary()
                let referenced = try await store.referencedBlobIds()
                for blob in onDisk.allBlobIds() where !referenced.contains(blob) { onDisk.delete(blob) }
                blobs = DiskBlobs(disk: onDisk, store: store, gate: StorageGate(signer: signer), base: publicBase)
                disk = onDisk
            }
            state = ServerState(config: config, store: store, blobs: blobs, disk: disk, signer: signer, publicBase: publicBase)
            let metrics = state.metrics
            store.expiries.observe { metrics.upload(.expired, dialect: $0) }
        } catch {
            await store.close()
            throw error
        }
        var log = logger ?? Logger(label: "hoist.server") { DeferredMetadataLogHandler(label: $0) }
        if logger == nil { log.logLevel = .warning }
        let openAPI = try OpenAPIDocument.load()

        let router = Router()
        let table = RouteTableBox()
        router.add(middleware: MetricsMiddleware(metrics: state.metrics))
        router.add(middleware: CORSMiddleware(allowedOrigins: config.allowedOrigins, routes: table))
        router.add(middleware: ContractMiddleware(routes: table, logger: log))
        router.add(middleware: HostCheckMiddleware())
        LightfieldRoutes(state: state).register(on: router)
        LuwRoutes(state: state).register(on: router)
        StorageRoutes(state: state).register(on: router)
        router.get("openapi.json") { _, _ in openAPI.response() }
        if config.metricsPort == nil { MetricsRoute(metrics: state.metrics).register(on: router) }
        table.set(RouteTable(router))

        let gate = ContinueGate(state: state)
        let metrics = state.metrics
        let cap = ConnectionCap(configured: config.connectionLimits.maxConnections, descriptorLimit: descriptors,
                                reserve: ConnectionCap.reserve(for: config)) {
            metrics.connections($0)
        }
        let bound = AsyncStream<Int>.makeStream()
        let listener = NIOLockedValueBox<(any Channel)?>(nil)
        // The listeners' logger: a cancellation they log once a second signal cut the
        // shutdown short is not an error (`CutShortLogHandler`).
        let cut = CutShortLogHandler.Cut()
        let listenerLog = CutShortLogHandler.wrapping(log, cut: cut)
        let app = Application(
            responder: HeadResponder(inner: router.buildResponder(), routes: table),
            server: .bounded(limits: config.connectionLimits, cors: CORSPolicy(allowedOrigins: config.allowedOrigins)) {
                [ExpectContinueHandler(gate: gate.verdict)]
            },
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: "hoist",
                                 backlog: config.connectionLimits.backlog, availableConnectionsDelegate: cap),
            onServerRunning: { channel in
                listener.withLockedValue { $0 = channel }
                bound.continuation.yield(channel.localAddress?.port ?? config.port)
                bound.continuation.finish()
            },
            logger: listenerLog)
        var services: [any Service] = [app]
        let metricsBound = AsyncStream<Int>.makeStream()
        if let metricsPort = config.metricsPort {
            services.append(MetricsRoute(metrics: state.metrics).application(
                host: config.host, port: metricsPort, logger: listenerLog,
                onServerRunning: { port in
                    metricsBound.continuation.yield(port)
                    metricsBound.continuation.finish()
                }))
        } else {
            metricsBound.continuation.finish()
        }
        var groupConfiguration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: handlingSignals ? [.sigterm, .sigint] : [], logger: log)
        // Past the grace the group cancels its services, which closes the connections still open.
        groupConfiguration.maximumGracefulShutdownDuration = .nanoseconds(Int64(config.shutdownGrace * 1e9))
        let group = ServiceGroup(configuration: groupConfiguration)
        // Trapped before the group runs, so that it hears the first signal too.
        let signals = handlingSignals ? await UnixSignalsSequence(trapping: .sigterm, .sigint) : nil
        let running = Task {
            defer {
                bound.continuation.finish()
                metricsBound.continuation.finish()
            }
            // The store's connections (PostgreSQL's pool) outlive no server.
            do {
                try await group.run()
            } catch {
                await state.store.close()
                await state.blobs.shutdown()
                throw error
            }
            await state.store.close()
            await state.blobs.shutdown()
        }
        // The group hears only the first signal; a second one, during the grace, means now:
        // the group is cancelled as at the end of the grace (what a second Ctrl-C does elsewhere).
        let warn = log
        let impatience = signals.map { signals in
            Task {
                var heard = 0
                for await signal in signals {
                    heard += 1
                    guard heard >= 2 else { continue }
                    warn.warning("second \(signal): the connections still open are closed now")
                    // Cancelled while its listener is still open, Hummingbird's accept loop
                    // logs the cancellation as an error; the first signal closes the listener
                    // at once, so two signals close together wait for that (a second at most).
                    // On a loaded machine the loop can be later still: the line it then logs
                    // is written as the notice it is (`CutShortLogHandler`).
                    if let channel = listener.withLockedValue({ $0 }) {
                        let deadline = ContinuousClock.now + .seconds(1)
                        while channel.isActive, ContinuousClock.now < deadline {
                            try? await Task.sleep(for: .milliseconds(5))
                        }
                    }
                    cut.set()
                    running.cancel()
                    return
                }
            }
        }
        var port: Int?
        for await value in bound.stream { port = value }
        var metricsPort: Int?
        for await value in metricsBound.stream { metricsPort = value }
        guard let port, config.metricsPort == nil || metricsPort != nil else {
            defer { impatience?.cancel() }
            try await running.value
            throw ServerStartError(description: "the server stopped before it was listening")
        }
        if config.publicBaseURL == nil { state.publicBase.set(PublicBase.forBound(host: config.host, port: port)) }
        let interval = config.sweepInterval
        let sweeper = Task {
            var reclaimed = Date()
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(interval))
                if Task.isCancelled { break }
                _ = try? await Self.sweep(state)
                // Downloads and uploads make and free their read buffers on different
                // threads at once; glibc kept what hundreds of stalled downloads had freed
                // (1.8 GiB after they had gone, 50 MiB after a trim). A few milliseconds.
                _ = hoist_give_back_free_memory()
                if Date().timeIntervalSince(reclaimed) >= config.orphanBlobInterval {
                    reclaimed = Date()
                    try? await Self.reclaimOrphanBlobs(state, olderThan: config.orphanBlobAge)
                }
            }
        }
        return UploadServer(baseURL: state.baseURL, port: port, metricsPort: metricsPort, routes: table.value.descriptions,
                            state: state, group: group, running: running, sweeper: sweeper, impatience: impatience)
    }

    /// Expires overdue sessions and deletes Luw objects whose time is up (`x12tmp-` files
    /// 12 hours after their PUT, unfinalized ones after 24), now.
    public func sweep() async throws {
        try await Self.sweep(state)
    }

    /// Deletes this instance's blob files that no row references and that were last
    /// written more than `age` seconds ago; only with metadata in PostgreSQL, where another
    /// instance may have discarded the bytes (on SQLite every discard is this instance's
    /// own, done at its commit, and what a crash left is dropped at start).
    public func reclaimOrphanBlobs(olderThan age: TimeInterval) async throws {
        try await Self.reclaimOrphanBlobs(state, olderThan: age)
    }

    private static func reclaimOrphanBlobs(_ state: ServerState, olderThan age: TimeInterval) async throws {
        guard case .postgres = state.config.metadata, let disk = state.disk else { return }
        // Listed before the rows are read: a blob whose row commits meanwhile is among them.
        let candidates = disk.blobIds(writtenBefore: Date().addingTimeInterval(-age))
        guard !candidates.isEmpty else { return }
        let referenced = try await state.store.referencedBlobIds()
        for blob in candidates where !referenced.contains(blob) { disk.delete(blob) }
    }

    private static func sweep(_ state: ServerState) async throws {
        let outcome = try await state.store.sweep(now: state.now())
        await state.blobs.delete(outcome.blobs)
        let settled = await state.blobs.settleEnded(outcome.endedSessions)
        if !settled.isEmpty { try await state.store.markSwept(settled) }
        let blobs = state.blobs
        try await state.store.clearDiscardMarks(outcome.discarded) { await blobs.clearDiscard($0) }
        // Copies whose finalize never committed: forgotten once deleted (a DELETE that
        // failed leaves its copy noted for the next sweep).
        var deleted: [String] = []
        for copy in outcome.abandonedCopies where await state.blobs.deleteOne(copy) { deleted.append(copy) }
        try await state.store.forgetSealedCopies(deleted)
    }

    /// The S3 blob store `config` names, with its credentials; nil for the disk.
    private static func s3Store(_ config: ServerConfiguration) throws -> S3BlobStore? {
        guard case .s3(let location) = config.blobStore else { return nil }
        if let credentials = config.s3Credentials { return S3BlobStore(location, credentials: credentials) }
        do {
            return S3BlobStore(location, provider: try AWSCredentialsProvider(chain: AWSCredentialChain(environment: ProcessInfo.processInfo.environment)))
        } catch {
            throw BlobStoreError("--blob-store s3://\(location.bucket): \(error.description)")
        }
    }

    /// Stops accepting connections and waits for the server to wind down.
    public func shutdown() async throws {
        sweeper.cancel()
        await group.triggerGracefulShutdown()
        defer { impatience?.cancel() }
        try await running.value
    }

    /// Runs until the server stops (for `hoist serve`).
    public func wait() async throws {
        defer { impatience?.cancel() }
        try await running.value
    }
}

/// The server failed to start.
public struct ServerStartError: Error, CustomStringConvertible {
    public let description: String
}
