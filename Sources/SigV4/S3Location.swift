import Foundation

/// Where a bucket's objects are and how requests to them are signed: the endpoint, the
/// bucket in the host name or in the path, and the SigV4 signer for the region.
public struct S3Location: Sendable, Equatable {
    public let scheme: String
    /// The endpoint's host, with its port when it is not the scheme's default.
    public let endpointHost: String
    /// A path the endpoint itself has (`https://gw.example/s3`), without a trailing `/`.
    public let basePath: String
    public let bucket: String
    public let pathStyle: Bool
    public let region: String

    /// `endpoint` is a URL such as `https://s3.eu-west-1.amazonaws.com` or
    /// `http://127.0.0.1:9000`; `pathStyle` puts the bucket in the path instead of the host.
    public init(endpoint: String, bucket: String, pathStyle: Bool, region: String) {
        let request = URL(string: endpoint).flatMap { SigV4Request(method: "GET", url: $0) }
        scheme = request?.scheme ?? "https"
        endpointHost = request?.host ?? endpoint
        if case .raw(let path)? = request?.path, path != "/" {
            basePath = path.hasSuffix("/") ? String(path.dropLast()) : path
        } else {
            basePath = ""
        }
        self.bucket = bucket
        // A bucket name with dots cannot be a virtual host under TLS (the certificate's
        // wildcard covers one label), so it goes in the path, as the AWS CLI does. Nor can
        // any bucket go in front of an IP address or `localhost` (MinIO on
        // `http://127.0.0.1:9000`): the AWS SDKs use the path there too.
        self.pathStyle = pathStyle || (scheme == "https" && bucket.contains(".")) || Self.isAddressOnly(endpointHost)
        self.region = region
    }

    /// Whether `host` (with any port) is an IP address or `localhost`, which no bucket can
    /// be a subdomain of.
    static func isAddressOnly(_ host: String) -> Bool {
        if host.hasPrefix("[") { return true }
        let name = host.split(separator: ":").first.map(String.init) ?? host
        if name.lowercased() == "localhost" { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.allSatisfy { UInt8($0) != nil }
    }

    /// The request for `key` (nil: the bucket itself), before signing. `key` is in its
    /// URL form (`AWSPercentEncoding`).
    public func request(_ method: String, key: String?, query: [SigV4QueryItem] = [], headers: [SigV4Header] = [],
                 payload: SigV4Payload = .empty) -> SigV4Request {
        let objectPath = key.map { "/" + $0 } ?? ""
        if pathStyle {
            return SigV4Request(method: method, scheme: scheme, host: endpointHost, path: .raw(basePath + "/" + bucket + objectPath),
                                queryItems: query, headers: headers, payload: payload)
        }
        return SigV4Request(method: method, scheme: scheme, host: bucket + "." + endpointHost,
                            path: .raw(basePath + (objectPath.isEmpty ? "/" : objectPath)),
                            queryItems: query, headers: headers, payload: payload)
    }

    /// The unsigned URL of `key`, for display and as a session's `uploadURL`.
    public func url(of key: String) -> String {
        SigV4Signer.url(request("GET", key: key), query: [])
    }

    public func signer(_ credentials: SigV4Credentials) -> SigV4Signer {
        SigV4Signer(credentials: credentials, region: region)
    }
}
