import Foundation
import NIOHTTP1
import SigV4
import Synchronization

/// How far this machine's clock is from each S3 host's, as their refusals said.
///
/// S3 refuses a signature dated more than 15 minutes from its own time (`403
/// RequestTimeTooSkewed`), so a machine whose clock drifted (a VM without NTP, a laptop
/// back from sleep) could upload nothing. As AWS's own tools do, hoist learns the store's
/// time from the refusal (its `<ServerTime>`, else its `Date` header) and signs by it from
/// then on; the refused call is tried again (``EngineError/retryableCodes``). Per host, for
/// the life of the process: the offset is a fact about two clocks, not about one request.
enum S3ClockSkew {
    /// S3's code for a signature dated too far from its own time.
    static let refusalCode = "RequestTimeTooSkewed"

    private static let offsets = Mutex<[String: TimeInterval]>([:])

    /// The time to sign a request to `host` (a request's Host: name, perhaps with a port) by:
    /// this machine's, corrected by what that host said.
    static func now(host: String) -> Date {
        let offset = offsets.withLock { $0[key(url: "http://" + host)] } ?? 0
        return Date().addingTimeInterval(offset)
    }

    /// Learns from a `RequestTimeTooSkewed` answer to a request to `url`.
    static func learn(url: String, serverTime: String?, headers: HTTPHeaders) {
        guard let server = serverTime.flatMap(ISO8601.parse) ?? headers.first(name: "Date").flatMap(HTTPDate.parse) else { return }
        let offset = server.timeIntervalSinceNow
        offsets.withLock { $0[key(url: url)] = offset }
    }

    /// The host of `url` without its port, lower-cased: one reading of requests and answers.
    private static func key(url: String) -> String {
        (URLComponents(string: url)?.host ?? url).lowercased()
    }
}
