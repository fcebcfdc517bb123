import Hummingbird
import HummingbirdCore
import NIOHTTPTypesHTTP1
import Logging
import NIOCore
import NIOHTTPTypes
#if canImport(Glibc)
import Glibc
#endif

/// Hummingbird's HTTP/1 channel with every connection held to the header, idle and body
/// timeouts of `ConnectionWatchdog`.
struct BoundedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let inner: HTTP1Channel
    let limits: ConnectionLimits
    /// For the answers the watchdog gives before any route (a head that does not parse).
    let cors: CORSPolicy
    /// Handlers that go right behind the codec, made anew for each connection.
    let partHandlers: @Sendable () -> [any RemovableChannelHandler]

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            Self.limitUnsentBytes(channel)
            let watchdog = ConnectionWatchdog(limits: limits, cors: cors)
            try pipeline.addHandler(watchdog.makeRawHandler(), position: .first)
            let codec = try pipeline.handler(type: HTTP1ToHTTPServerCodec.self)
            try pipeline.addHandler(ConnectionReuseHandler(), position: .before(codec))
            let behind = [watchdog.makePartHandler() as any ChannelHandler] + partHandlers().map { $0 as any ChannelHandler }
            for handler in behind.reversed() { try pipeline.addHandler(handler, position: .after(codec)) }
            return value
        }
    }

    /// Unsent bytes a connection's socket may hold before it stops taking more.
    static let unsentLimit = 256 << 10

    /// Caps what the socket holds unsent (`TCP_NOTSENT_LOWAT`). Linux grows a send buffer
    /// to 4 MiB, and a download whose client reads nothing filled it: megabytes of kernel
    /// memory a connection, and about 35 reads of 128 KiB each whose buffers, made and freed
    /// on different threads at once across hundreds of such connections, left the heap at
    /// hundreds of MiB to GiB after they had gone. What is in flight is not capped, so a
    /// long fat link still fills. A socket that refuses the option keeps the default.
    private static func limitUnsentBytes(_ channel: any Channel) {
        #if canImport(Glibc)
        let option = ChannelOptions.Types.SocketOption(level: .tcp, name: .init(rawValue: CInt(TCP_NOTSENT_LOWAT)))
        try? channel.syncOptions?.setOption(option, value: SocketOptionValue(unsentLimit))
        #endif
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

/// The cap on open connections. At the cap the server stops accepting: new connections
/// wait in the kernel's backlog (and are refused by it once that is full) instead of
/// taking a share from the ones in flight, and the accept loop never runs into the
/// descriptor limit, where NIO would retry a failing `accept` without pause.
struct ConnectionCap: AvailableConnectionsDelegate {
    let maximum: Int
    private var open = 0
    private let onChange: @Sendable (Int) -> Void

    /// Descriptors one connection may hold at once: its socket, and the blob file its
    /// request reads (a download) or writes (a PUT, a Luw form). HTTP/1 runs one request of
    /// a connection at a time, so never more.
    static let descriptorsPerConnection: UInt64 = 2

    /// `configured`, lowered to fit the descriptors the process may open: `reserve` are kept
    /// for what no connection holds (the database's files or pool, the S3 client's pool,
    /// the listeners, the standard streams), and each connection counts
    /// ``descriptorsPerConnection``. Counting sockets alone, downloads nobody read filled
    /// the table below the cap (each holding its file too): accept then failed with
    /// `EMFILE` in a loop at full CPU and blob opens answered 500.
    init(configured: Int, descriptorLimit: UInt64?, reserve: UInt64, onChange: @escaping @Sendable (Int) -> Void) {
        if let limit = descriptorLimit, limit < UInt64(Int.max) {
            // A limit that leaves nothing beyond the reserve still serves, a few at a time.
            let spare = limit > reserve * 2 ? limit - reserve : limit / 2
            maximum = max(1, min(configured, Int(spare / Self.descriptorsPerConnection)))
        } else {
            maximum = configured
        }
        self.onChange = onChange
    }

    /// What `configuration` keeps open besides connections: 64 for SQLite's files, the
    /// listeners and the standard streams, plus PostgreSQL's pool (`pool=`, 20 by default)
    /// and the S3 clients' pools (64 each for requests and copies) when they are in use.
    static func reserve(for configuration: ServerConfiguration) -> UInt64 {
        var reserve: UInt64 = 64
        if case .postgres(let url) = configuration.metadata {
            reserve += UInt64(max(0, (try? PostgresURL.parse(url))?.client.options.maximumConnections ?? 20))
        }
        if case .s3 = configuration.blobStore { reserve += 2 * UInt64(S3BlobStore.connectionsPerHost) }
        return reserve
    }

    mutating func connectionOpened() {
        open += 1
        onChange(open)
    }

    mutating func connectionClosed() {
        open -= 1
        onChange(open)
    }

    func isAcceptingNewConnections() -> Bool { open < maximum }
}

extension HTTPServerBuilder {
    /// HTTP/1 with every connection bounded by `limits`; `partHandlers` go behind the codec.
    static func bounded(limits: ConnectionLimits, cors: CORSPolicy,
                        partHandlers: @escaping @Sendable () -> [any RemovableChannelHandler]) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            BoundedHTTP1Channel(inner: HTTP1Channel(responder: responder), limits: limits, cors: cors, partHandlers: partHandlers)
        }
    }
}
