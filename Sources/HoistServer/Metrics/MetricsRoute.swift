import Hummingbird
import Logging

/// `GET /metrics` in the Prometheus text format, on the API's port or on a port of its own
/// (`--metrics-port`), so that it need not be exposed where the API is.
struct MetricsRoute: Sendable {
    let metrics: ServerMetrics

    func register(on router: Router<BasicRequestContext>) {
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
    }

    /// A listener that serves only `/metrics`.
    func application(host: String, port: Int, logger: Logger, onServerRunning: @escaping @Sendable (Int) -> Void)
        -> some ApplicationProtocol
    {
        let router = Router()
        register(on: router)
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "hoist-metrics"),
            onServerRunning: { channel in onServerRunning(channel.localAddress?.port ?? port) }, logger: logger)
    }
}
