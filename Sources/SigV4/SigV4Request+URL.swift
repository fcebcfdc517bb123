import Foundation

extension SigV4Request {
    /// The request for `url`: scheme, host (with the port unless it is the scheme's
    /// default), path and query taken from it, decoded; nil when the URL has no scheme or
    /// host, or a part of it does not decode to UTF-8.
    ///
    /// The path and query are decoded and encoded again the SigV4 way, so the URL the
    /// signer hands back may spell them differently from `url` (`%2B` for `+`, `%20` for a
    /// space); send that one. A `+` in the query is a plus sign, not a space.
    public init?(method: String, url: URL, headers: [SigV4Header] = [], payload: SigV4Payload = .unsigned) {
        guard let components = URLComponents(url: url, resolvingAgainstBaseURL: false),
            let scheme = components.scheme?.lowercased(),
            var host = components.host, !host.isEmpty,
            let path = AWSPercentEncoding.decode(components.percentEncodedPath)
        else { return nil }
        if host.contains(":"), !host.hasPrefix("[") { host = "[\(host)]" }
        if let port = components.port, port != Self.defaultPort(scheme: scheme) { host += ":\(port)" }

        var items: [SigV4QueryItem] = []
        for pair in (components.percentEncodedQuery ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = AWSPercentEncoding.decode(parts[0]) else { return nil }
            var value: String?
            if parts.count > 1 {
                guard let decoded = AWSPercentEncoding.decode(parts[1]) else { return nil }
                value = decoded
            }
            items.append(SigV4QueryItem(name, value))
        }
        self.init(
            method: method, scheme: scheme, host: host, path: .raw(path.isEmpty ? "/" : path),
            queryItems: items, headers: headers, payload: payload)
    }

    private static func defaultPort(scheme: String) -> Int? {
        switch scheme {
        case "https": 443
        case "http": 80
        default: nil
        }
    }
}
