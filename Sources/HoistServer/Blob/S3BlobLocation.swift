import Foundation

/// Where a server keeps bytes: its data directory, or an S3-compatible bucket the clients
/// PUT to directly.
public enum BlobStoreLocation: Sendable, Equatable {
    case disk
    case s3(S3BlobLocation)

    /// `--blob-store`: `disk` (the default) or `s3://BUCKET[/PREFIX]?endpoint=URL&region=R&path_style=1`.
    public static func parse(_ text: String?) throws -> BlobStoreLocation {
        guard let text, !text.isEmpty, text != "disk" else { return .disk }
        return .s3(try S3BlobLocation.parse(text))
    }
}

/// A bucket, a key prefix, and how to reach them.
public struct S3BlobLocation: Sendable, Equatable {
    public var bucket: String
    /// Prepended to every key, ending in `/` unless empty.
    public var prefix: String
    /// `https://s3.REGION.amazonaws.com` unless given.
    public var endpoint: String
    public var region: String
    public var pathStyle: Bool

    public init(bucket: String, prefix: String = "", endpoint: String? = nil, region: String = "us-east-1", pathStyle: Bool = false) {
        self.bucket = bucket
        self.prefix = prefix.isEmpty || prefix.hasSuffix("/") ? prefix : prefix + "/"
        self.endpoint = endpoint ?? "https://s3.\(region).amazonaws.com"
        self.region = region
        self.pathStyle = pathStyle
    }

    /// Parses `s3://BUCKET[/PREFIX]?endpoint=URL&region=R&path_style=1`; the region
    /// defaults to `AWS_REGION` / `AWS_DEFAULT_REGION`, then `us-east-1`.
    public static func parse(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> S3BlobLocation {
        guard let url = URLComponents(string: text), url.scheme == "s3", let bucket = url.host, !bucket.isEmpty else {
            throw BlobStoreError("--blob-store must be disk or s3://BUCKET[/PREFIX]?endpoint=URL&region=R&path_style=1")
        }
        var query: [String: String] = [:]
        for item in url.queryItems ?? [] {
            guard ["endpoint", "region", "path_style"].contains(item.name) else {
                throw BlobStoreError("--blob-store: unknown parameter \(item.name) (endpoint, region, path_style)")
            }
            query[item.name] = item.value ?? ""
        }
        let region = query["region"] ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
        if let endpoint = query["endpoint"] {
            guard let parsed = URL(string: endpoint), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                throw BlobStoreError("--blob-store: endpoint must be an http or https URL")
            }
        }
        let pathStyle: Bool
        switch query["path_style"] {
        case nil, "0", "false": pathStyle = false
        case "1", "true": pathStyle = true
        case let other?: throw BlobStoreError("--blob-store: path_style must be 1 or 0, not \(other)")
        }
        let prefix = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        return S3BlobLocation(bucket: bucket, prefix: prefix, endpoint: query["endpoint"], region: region, pathStyle: pathStyle)
    }
}

/// The blob store could not be configured or reached.
public struct BlobStoreError: Error, Sendable, CustomStringConvertible {
    public let description: String

    init(_ description: String) { self.description = description }
}
