/// What SigV4 needs to know about one HTTP request: method, host, path, query, headers and
/// the payload's hash. The signer turns it into the canonical request and, from there, into
/// the headers or the presigned URL to send.
public struct SigV4Request: Sendable, Hashable {
    /// The request path, either as the caller has it or already encoded.
    public enum Path: Sendable, Hashable {
        /// A path as text (`/bucket/photos/my file.jpg`): the signer encodes each segment
        /// once, keeping `/`, the way S3 wants it, and the URL it hands back uses that form.
        case raw(String)
        /// A path already percent-encoded, used as it is in the canonical request and in
        /// the URL. It must be encoded the SigV4 way (see `AWSPercentEncoding`), or the
        /// server computes another canonical request.
        case encoded(String)
    }

    /// The HTTP method, upper case (`PUT`, `GET`...).
    public var method: String
    /// `https` or `http`; only used to build URLs, it is not signed.
    public var scheme: String
    /// The `Host` header: the host name, and the port when it is not the scheme's default
    /// (`my-bucket.s3.eu-west-1.amazonaws.com`, `127.0.0.1:9000`). Always signed; a `Host`
    /// among `headers` is ignored in favour of this.
    public var host: String
    /// The path: `/key` on a virtual-hosted bucket, `/bucket/key` in path style.
    public var path: Path
    /// Query parameters, unencoded, in the order they go into the URL (the canonical
    /// request sorts them).
    public var queryItems: [SigV4QueryItem]
    /// Headers to sign and send besides `Host` (`Content-MD5`, `If-None-Match`,
    /// `Content-Type`...). A name may repeat; its values are signed in the order given.
    public var headers: [SigV4Header]
    /// The body's SHA-256, or `UNSIGNED-PAYLOAD`. Presigned URLs for S3 use the latter.
    public var payload: SigV4Payload

    public init(
        method: String, scheme: String = "https", host: String, path: Path,
        queryItems: [SigV4QueryItem] = [], headers: [SigV4Header] = [], payload: SigV4Payload = .unsigned
    ) {
        self.method = method
        self.scheme = scheme
        self.host = host
        self.path = path
        self.queryItems = queryItems
        self.headers = headers
        self.payload = payload
    }
}

/// One query parameter, unencoded (`uploadId`, `a+b/c=`).
public struct SigV4QueryItem: Sendable, Hashable {
    public var name: String
    /// The value; nil for a bare name (`?uploads`). Either way it is signed as `uploads=`,
    /// so the two spellings are the same request to the server.
    public var value: String?

    public init(_ name: String, _ value: String? = nil) {
        self.name = name
        self.value = value
    }
}

/// One header as it is sent. Names compare case-insensitively when signed.
public struct SigV4Header: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// The payload's part of a signature: its SHA-256, or nothing at all.
public enum SigV4Payload: Sendable, Hashable {
    /// `UNSIGNED-PAYLOAD`: the body is not covered (S3 over TLS, and every presigned URL,
    /// whose body is not known when it is made). S3 still checks `Content-MD5` if sent.
    case unsigned
    /// The lower-case hex SHA-256 of the body.
    case sha256(hex: String)

    /// The hash of an empty body (GET, HEAD, DELETE, and POSTs with no body).
    public static let empty = SigV4Payload.sha256(hex: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")

    /// The text that goes into the canonical request and into `X-Amz-Content-Sha256`.
    public var canonicalValue: String {
        switch self {
        case .unsigned: "UNSIGNED-PAYLOAD"
        case .sha256(let hex): hex.lowercased()
        }
    }
}
