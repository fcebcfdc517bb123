import Hummingbird
import HummingbirdCore
import NIOHTTPTypesHTTP1
import Logging
import NIOCore
import NIOHTTPTypes

/// Hummingbird's HTTP/1 channel with every connection held to the header, idle and body
/// timeouts of `ConnectionWatchdog`.
struct BoundedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let inner: HTTP1Channel
    let limits: ConnectionLimits
    /// Handlers that go right behind the codec, made anew for each connection.
    let partHandlers: @Sendable () -> [any RemovableChannelHandler]

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let watchdog = ConnectionWatchdog(limits: limits)
            try pipeline.addHandler(watchdog.makeRawHandler(), position: .first)
            let codec = try pipeline.handler(type: HTTP1ToHTTPServerCodec.self)
            try pipeline.addHandler(ConnectionReuseHandler(), position: .before(codec))
            let behind = [watchdog.makePartHandler() as any ChannelHandler] + partHandlers().map { $0 as any ChannelHandler }
            for handler in behind.reversed() { try pipeline.addHandler(handler, position: .after(codec)) }
            return value
        }
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

    /// `configured`, lowered to fit the descriptors the process may open: a reserve is
    /// kept for the database, blobs being written and the listeners.
    init(configured: Int, descriptorLimit: UInt64?, onChange: @escaping @Sendable (Int) -> Void) {
        let reserve: UInt64 = 64
        if let limit = descriptorLimit, limit < UInt64(Int.max) {
            maximum = max(1, min(configured, Int(limit > reserve * 2 ? limit - reserve : limit / 2)))
        } else {
            maximum = configured
        }
        self.onChange = onChange
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
    static func bounded(limits: ConnectionLimits,
                        partHandlers: @escaping @Sendable () -> [any RemovableChannelHandler]) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            BoundedHTTP1Channel(inner: HTTP1Channel(responder: responder), limits: limits, partHandlers: partHandlers)
        }
    }
}
