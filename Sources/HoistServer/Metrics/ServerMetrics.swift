import CoreMetrics
import Foundation
import Prometheus

/// The server's metrics, recorded through swift-metrics into a Prometheus registry of its
/// own (so that several servers in one process, as in tests, never mix their figures).
/// Names follow tusd's where they mean the same thing.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let bytesReceived: CoreMetrics.Counter
    private let connectionsOpen: CoreMetrics.Gauge

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(10), .milliseconds(50), .milliseconds(250), .seconds(1), .seconds(5), .seconds(30),
            .seconds(120), .seconds(600), .seconds(3600),
        ]
        // A request's own time is mostly well under a millisecond to a few (a create, a
        // complete, a small PUT); the PUT buckets above would put every one in the first.
        factory.durationHistogramBuckets[Self.requestDurationLabel] = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .seconds(5), .seconds(30), .seconds(120), .seconds(600),
        ]
        self.factory = factory
        bytesReceived = CoreMetrics.Counter(label: "hoist_bytes_received_total", factory: factory)
        connectionsOpen = CoreMetrics.Gauge(label: "hoist_connections_open", factory: factory)
        // Present from the start, so that a scrape shows zeros rather than nothing.
        for event in UploadEvent.allCases { _ = counter(for: event, dialect: .lightfield); _ = counter(for: event, dialect: .luw) }
        bytesReceived.increment(by: 0)
        connectionsOpen.record(0)
    }

    /// A request answered: its route pattern (not the raw path, so ids do not explode
    /// the label space), method and status.
    func request(route: String, method: String, status: Int) {
        CoreMetrics.Counter(
            label: "hoist_requests_total", dimensions: [("route", route), ("method", method), ("status", String(status))],
            factory: factory
        ).increment()
    }

    static let requestDurationLabel = "hoist_request_duration_seconds"

    /// How long the server took over one request, from its head having arrived to its
    /// answer's head being ready (body received included): the server's own share of a
    /// client's round trip. Labelled as `hoist_requests_total` is.
    func requestDuration(_ duration: Duration, route: String, method: String, status: Int) {
        CoreMetrics.Timer(
            label: Self.requestDurationLabel, dimensions: [("route", route), ("method", method), ("status", String(status))],
            factory: factory
        ).recordNanoseconds(duration.nanoseconds)
    }

    /// Bytes of upload bodies received (whether or not the upload then succeeded).
    func received(bytes: Int) { bytesReceived.increment(by: bytes) }

    /// How long one PUT took from its first byte to its answer.
    func putDuration(_ duration: Duration, status: Int) {
        CoreMetrics.Timer(label: "hoist_put_duration_seconds", dimensions: [("status", String(status))], factory: factory)
            .recordNanoseconds(duration.nanoseconds)
    }

    func connections(_ open: Int) { connectionsOpen.record(open) }

    /// The lifecycle events counted per dialect.
    enum UploadEvent: String, CaseIterable, Sendable {
        case created, completed, cancelled, expired
    }

    func upload(_ event: UploadEvent, dialect: Dialect, count: Int = 1) {
        counter(for: event, dialect: dialect).increment(by: count)
    }

    private func counter(for event: UploadEvent, dialect: Dialect) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: "hoist_uploads_\(event.rawValue)_total", dimensions: [("dialect", dialect.rawValue)],
                            factory: factory)
    }

    /// The Prometheus text exposition of everything recorded.
    func exposition() -> [UInt8] { registry.emitToBuffer() }
}

extension Duration {
    /// The whole duration in nanoseconds, saturating instead of overflowing.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        let (total, overflow2) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflow2 ? (seconds < 0 ? .min : .max) : total
    }
}
