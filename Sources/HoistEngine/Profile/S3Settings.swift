import Foundation

/// Where an s3 profile puts objects: bucket, region, key prefix, addressing, and when a
/// file is large enough to go as a multipart upload.
public struct S3Settings: Sendable, Equatable, Codable {
    public var bucket: String
    /// nil: `AWS_REGION`, `AWS_DEFAULT_REGION`, the AWS config file, else `us-east-1`.
    public var region: String?
    /// Prepended to every object key as it is (`backups/` or `backups-`).
    public var prefix: String
    /// `https://host/bucket/key` instead of `https://bucket.host/key` (MinIO, Ceph, moto).
    public var pathStyle: Bool
    /// Files larger than this go as a multipart upload (default 64 MiB).
    public var multipartThreshold: Int64

    public static let defaultMultipartThreshold: Int64 = 64 << 20

    public init(bucket: String, region: String? = nil, prefix: String = "", pathStyle: Bool = false,
                multipartThreshold: Int64 = S3Settings.defaultMultipartThreshold) {
        self.bucket = bucket
        self.region = region
        self.prefix = prefix
        self.pathStyle = pathStyle
        self.multipartThreshold = multipartThreshold
    }

    /// The endpoint AWS serves `region` from, for profiles that name none.
    public static func awsEndpoint(region: String) -> String { "https://s3.\(region).amazonaws.com" }

    /// Throws when the bucket name could not be a bucket (and so could never be signed for).
    public func validate() throws(EngineError) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789.-_")
        guard (3...63).contains(bucket.count), bucket.allSatisfy(allowed.contains) else {
            throw .profile("s3: bucket \"\(OneLineText.of(bucket, limit: 80))\" is not a valid bucket name")
        }
        guard multipartThreshold >= 5 << 20, multipartThreshold <= 5 << 30 else {
            throw .profile("s3: multipart threshold must be between 5 MiB and 5 GiB")
        }
    }
}
