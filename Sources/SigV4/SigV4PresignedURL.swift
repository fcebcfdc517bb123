import Foundation

/// A presigned URL, when it stops working, and the intermediate strings of its signature.
public struct SigV4PresignedURL: Sendable, Hashable {
    /// The URL, ready to use as it is (its encoding is part of what was signed).
    public let url: String
    /// `X-Amz-Date` + `X-Amz-Expires`: from this instant the store answers 403.
    public let expiry: Date
    public let canonicalRequest: String
    public let stringToSign: String
    /// The signature, lower-case hex (also the URL's `X-Amz-Signature`).
    public let signature: String

    /// The query parameters SigV4 presigning owns, lower-cased.
    static let parameterNames: Set<String> = [
        "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires",
        "x-amz-signedheaders", "x-amz-security-token", "x-amz-signature",
    ]

    /// When a SigV4 presigned URL expires, from its `X-Amz-Date` and `X-Amz-Expires`; nil
    /// when it lacks either or they do not parse. Names match case-insensitively.
    ///
    /// The engine uses it to make a new session before a URL it was handed runs out,
    /// rather than after a PUT fails.
    public static func expiry(of url: URL) -> Date? {
        guard let components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return nil }
        return expiry(query: components.percentEncodedQuery)
    }

    /// `expiry(of:)` for a URL held as text; nil too when it is not a URL.
    public static func expiry(of url: String) -> Date? {
        guard let components = URLComponents(string: url) else { return nil }
        return expiry(query: components.percentEncodedQuery)
    }

    private static func expiry(query: String?) -> Date? {
        var date: Date?
        var seconds: Int64?
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, let value = AWSPercentEncoding.decode(parts[1]) else { continue }
            switch AWSPercentEncoding.decode(parts[0])?.lowercased() {
            case "x-amz-date": date = SigV4Timestamp.date(fromAmzDate: value)
            // Digits only: Int64("+5") parses, and a sign has no business here.
            case "x-amz-expires": seconds = value.utf8.allSatisfy({ (48...57).contains($0) }) ? Int64(value) : nil
            default: continue
            }
        }
        guard let date, let seconds else { return nil }
        return date.addingTimeInterval(TimeInterval(seconds))
    }
}
