import Foundation
import HTTPTypes

/// The checks a request to a signed storage URL passes before any byte of its body is
/// read: signature, expiry, required headers, session state and declared size. Shared by
/// the `Expect: 100-continue` handler and the storage routes, so both answer alike.
struct StorageGate: Sendable {
    let signer: URLSigner
    /// The most a PUT may send to a session created without a size (Luw's): the `general`
    /// purpose's limit, which the route also holds the body to as it arrives.
    var unsizedLimit: Int64? = nil

    /// A storage URL taken apart: `/storage/<session-id>/<name>?expires=&h=&sig=`.
    struct Target: Sendable {
        var sessionId: String
        var name: String
        var query: [String: String]

        var dialect: Dialect { SessionID.dialect(of: sessionId) }
        var signedPath: String { "/storage/\(sessionId)/\(name)" }

        init?(sessionId: String, encodedName: String, query: [String: String]) {
            guard let name = encodedName.removingPercentEncoding else { return nil }
            self.sessionId = sessionId
            self.name = name
            self.query = query
        }

        /// Parses the path and query of a raw request target.
        init?(path: String) {
            guard let components = URLComponents(string: path) else { return nil }
            let segments = components.percentEncodedPath.split(separator: "/", omittingEmptySubsequences: true)
            guard segments.count == 3, segments[0] == "storage" else { return nil }
            var query: [String: String] = [:]
            for item in components.queryItems ?? [] {
                // A repeated parameter is refused here as by the route, never resolved by order.
                guard query.updateValue(item.value ?? "", forKey: item.name) == nil else { return nil }
            }
            self.init(sessionId: String(segments[1]), encodedName: String(segments[2]), query: query)
        }
    }

    /// A URL for `method` on `session`'s object, signed over the given headers.
    /// When a URL signed at `now` to last `ttl` ends, as it will say it: a whole second
    /// (`expires=`, and S3's `X-Amz-Date` + `X-Amz-Expires`, count whole seconds). A session's
    /// or a download's `expiresAt` made so is the very moment its URL stops working.
    static func urlEnd(from now: Date, lasting ttl: TimeInterval) -> Date {
        Date(timeIntervalSince1970: (now.timeIntervalSince1970 + ttl).rounded(.down))
    }

    func url(base: String, method: String, sessionId: String, name: String, expires: Date,
             headers: [(String, String)]) -> String {
        let seconds = Int64(expires.timeIntervalSince1970.rounded(.down))
        let sig = signer.signature(method: method, path: "/storage/\(sessionId)/\(name)", expires: seconds, headers: headers)
        var url = "\(base)/storage/\(sessionId)/\(name.pathSegmentEncoded)?expires=\(seconds)"
        if !headers.isEmpty { url += "&h=" + headers.map { $0.0.lowercased() }.joined(separator: ";") }
        return url + "&sig=\(sig)"
    }

    /// Throws the error the request gets, or returns when it may go on.
    func check(method: HTTPRequest.Method, target: Target, headers: HTTPFields, session: SessionRecord?, now: Date)
        throws(APIError)
    {
        try checkURL(method: method, target: target, headers: headers, now: now)
        guard let session else { throw .notFound() }
        if method == .put {
            switch session.status {
            case .pending where session.expiresAt > now: break
            case .pending, .expired: throw .urlExpired()
            case .completed, .cancelled: throw .notPending(session.status.rawValue)
            }
            // Said before the body is read (and before `100 Continue`): a body over the limit
            // would only be read to be thrown away.
            try checkLength(headers, limit: session.sizeBytes ?? unsizedLimit)
        }
    }

    /// A declared `Content-Length` over `limit` → 413.
    func checkLength(_ headers: HTTPFields, limit: Int64?) throws(APIError) {
        if let limit, let length = headers[.contentLength].flatMap({ Int64($0) }), length > limit { throw .bodyTooLarge(limit: limit) }
    }

    /// What the URL alone proves: its signature over the method, path and signed headers,
    /// and its expiry.
    func checkURL(method: HTTPRequest.Method, target: Target, headers: HTTPFields, now: Date) throws(APIError) {
        guard let sig = target.query["sig"], let expiresText = target.query["expires"], let expires = Int64(expiresText) else {
            throw .signatureMismatch("the URL is not signed")
        }
        // One spelling per expiry, the one signed: `+N` or `0N` is another URL, not this one.
        guard String(expires) == expiresText else { throw .signatureMismatch("the URL's expiry is not one it was signed with") }
        let signedNames = (target.query["h"] ?? "").split(separator: ";").map { String($0) }
        var signed: [(String, String)] = []
        for name in signedNames {
            guard let fieldName = HTTPField.Name(name), let value = headers[fieldName] else {
                throw .signatureMismatch("the signed header \(name) is missing")
            }
            signed.append((name, value))
        }
        guard signer.verify(sig, method: method.rawValue, path: target.signedPath, expires: expires, headers: signed) else {
            throw .signatureMismatch(signedNames.isEmpty
                ? "the URL signature does not match"
                : "the URL signature does not match the method, URL or signed headers (\(signedNames.joined(separator: ", ")))")
        }
        guard now.timeIntervalSince1970 < Double(expires) else { throw .urlExpired() }
        // A header of the request alone, so judged here too, where the session cannot be
        // read without waiting (PostgreSQL): refused before a `100 Continue`, whatever the store.
        if method == .put { try ContentCoding.check(headers) }
    }
}

/// Session ids: the prefix tells the dialect, which storage errors are answered in.
enum SessionID {
    static let lightfieldPrefix = "fil_"
    static let luwPrefix = "upl_"

    /// The dialect a session id belongs to.
    static func dialect(of id: String) -> Dialect { id.hasPrefix(luwPrefix) ? .luw : .lightfield }

    static func make(_ dialect: Dialect) -> String {
        (dialect == .luw ? luwPrefix : lightfieldPrefix) + RandomID.make(length: 24)
    }
}
