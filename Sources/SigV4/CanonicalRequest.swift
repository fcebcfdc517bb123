/// The parts of a SigV4 canonical request, and of the URL that must match it.
///
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html>
enum CanonicalRequest {
    /// Headers never signed: hop-by-hop headers that proxies and HTTP clients add, drop or
    /// rewrite, and the signature's own header (the list botocore uses, plus
    /// `authorization`). Signing one of them would make a valid request fail on its way.
    static let unsignedHeaderNames: Set<String> = [
        "authorization", "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization",
        "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
    ]

    /// The six lines (the headers' block ends with its own newline).
    static func render(_ request: SigV4Request, normalizingPath: Bool) -> String {
        let headers = headers(of: request)
        return [
            request.method.uppercased(),
            canonicalPath(request.path, normalizing: normalizingPath),
            query(request.queryItems),
            headers.canonical + "\n",
            headers.signed,
            request.payload.canonicalValue,
        ].joined(separator: "\n")
    }

    /// The path as it goes into the URL: encoded, never normalised (the server normalises
    /// what it receives, if its service does).
    static func urlPath(_ path: SigV4Request.Path) -> String {
        let encoded =
            switch path {
            case .raw(let text): AWSPercentEncoding.encode(text, keepingSlashes: true)
            case .encoded(let text): text
            }
        return encoded.hasPrefix("/") ? encoded : "/" + encoded
    }

    /// The path as it is signed. S3 signs the path as sent, each segment encoded once;
    /// other services first drop `.` and `..` segments and empty ones (`normalizing`).
    static func canonicalPath(_ path: SigV4Request.Path, normalizing: Bool) -> String {
        guard normalizing else { return urlPath(path) }
        switch path {
        case .raw(let text): return AWSPercentEncoding.encode(removingDotSegments(text), keepingSlashes: true)
        case .encoded(let text): return removingDotSegments(text)
        }
    }

    /// `items` encoded, in their own order, as the URL carries them.
    static func urlQuery(_ items: [SigV4QueryItem]) -> String {
        let pairs = items.map { item in
            AWSPercentEncoding.encode(item.name) + (item.value.map { "=" + AWSPercentEncoding.encode($0) } ?? "")
        }
        return pairs.joined(separator: "&")
    }

    /// `items` encoded and sorted by encoded name, then encoded value, byte by byte.
    static func query(_ items: [SigV4QueryItem]) -> String {
        items.map { (AWSPercentEncoding.encode($0.name), AWSPercentEncoding.encode($0.value ?? "")) }
            .sorted { a, b in
                a.0 == b.0 ? a.1.utf8.lexicographicallyPrecedes(b.1.utf8) : a.0.utf8.lexicographicallyPrecedes(b.0.utf8)
            }
            .map { $0.0 + "=" + $0.1 }
            .joined(separator: "&")
    }

    /// The canonical headers block (without its final newline) and the signed-headers
    /// list: names lower-cased and sorted, the values of a repeated name joined by commas
    /// in the order given, each value trimmed with inner runs of white space made one space.
    static func headers(of request: SigV4Request) -> (canonical: String, signed: String) {
        var values: [String: [String]] = ["host": [trimAll(request.host)]]
        for header in request.headers {
            let name = trimAll(header.name).lowercased()
            guard name != "host", !unsignedHeaderNames.contains(name) else { continue }
            values[name, default: []].append(trimAll(header.value))
        }
        let names = values.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let canonical = names.map { name in name + ":" + (values[name] ?? []).joined(separator: ",") }
        return (canonical.joined(separator: "\n"), names.joined(separator: ";"))
    }

    /// `value` without leading and trailing white space, inner runs of it made one space
    /// (folded header lines included).
    static func trimAll(_ value: String) -> String {
        // By scalar, not Character: "\r\n" is one Character, and it is white space too.
        value.unicodeScalars
            .split(whereSeparator: asciiWhiteSpace.contains)
            .map { String(Substring($0)) }
            .joined(separator: " ")
    }

    private static let asciiWhiteSpace: Set<Unicode.Scalar> = [" ", "\t", "\n", "\r", "\u{0B}", "\u{0C}"]

    /// RFC 3986 dot-segment removal, with empty segments dropped too, as the SigV4 test
    /// suite's normalised cases expect (`//example//` → `/example/`, `/a/..` → `/`).
    static func removingDotSegments(_ path: String) -> String {
        var kept: [Substring] = []
        for segment in path.split(separator: "/") {
            switch segment {
            case ".": continue
            case "..": _ = kept.popLast()
            default: kept.append(segment)
            }
        }
        let last = path.split(separator: "/", omittingEmptySubsequences: false).last
        let endsInDirectory = path.hasSuffix("/") || last == "." || last == ".."
        return "/" + kept.joined(separator: "/") + (endsInDirectory && !kept.isEmpty ? "/" : "")
    }
}
