import Foundation

/// The server's own time over the requests it answered, from `hoist_request_duration_seconds`
/// on its `/metrics`: read before and after a run, the difference is the run's. It splits a
/// client's time per call into the server's part and the rest (client, HTTP, link).
struct ServerRequestTime: Sendable, Equatable {
    var requests: Int
    var seconds: Double

    static let zero = ServerRequestTime(requests: 0, seconds: 0)

    /// The mean per request; nil when no request was counted.
    var mean: Duration? { requests > 0 ? .seconds(seconds / Double(requests)) : nil }

    static func - (after: ServerRequestTime, before: ServerRequestTime) -> ServerRequestTime {
        ServerRequestTime(requests: after.requests - before.requests, seconds: after.seconds - before.seconds)
    }

    private static let metric = "hoist_request_duration_seconds"
    /// The scrapes' own requests are not the run's.
    private static let ownRoute = #"route="/metrics""#

    /// Sums the histogram's `_sum` and `_count` samples over every label set but `/metrics`'s.
    /// Samples of other metrics, comments and lines that do not parse are skipped.
    static func parse(_ exposition: String) -> ServerRequestTime {
        var total = ServerRequestTime.zero
        for line in exposition.split(separator: "\n") where line.hasPrefix(metric) && !line.contains(ownRoute) {
            let name = line.prefix { $0 != "{" && $0 != " " }
            guard let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
            switch name.dropFirst(metric.count) {
            case "_sum": total.seconds += value
            case "_count": total.requests += Int(value)
            default: continue
            }
        }
        return total
    }

    /// Reads `GET <endpoint>/metrics` with curl, run as one of `workspace`'s clients (in its
    /// namespace under `--wan`). Nil when the server does not serve it there.
    static func scrape(_ workspace: BenchWorkspace, name: String) async -> ServerRequestTime? {
        let child = workspace.client("curl", ["-sS", "-f", workspace.endpoint + "/metrics"], run: "curl",
                                     name: "metrics-" + name, timeout: .seconds(30))
        guard let outcome = try? await child.run(), outcome.succeeded,
              let text = try? String(contentsOfFile: child.stdoutPath, encoding: .utf8), text.contains(metric)
        else { return nil }
        return parse(text)
    }
}
