/// Which upload API an endpoint speaks: the two services of API.md, or S3 itself.
public enum Dialect: String, Sendable, Equatable, CaseIterable, Codable {
    /// `POST /v1/files` → PUT → `POST /v1/files/{id}/complete`.
    case lightfield
    /// `POST /v2/upload` → PUT → `GET /v2/finalize_upload`.
    case luw
    /// An S3-compatible bucket, signed with SigV4: one PUT, or a multipart upload.
    case s3
}

extension Dialect {
    /// What `hoist upload --json` calls a job's remote name: Lightfield's file id, Luw's
    /// final URL, S3's object key.
    public var remoteIDField: String {
        switch self {
        case .lightfield: "id"
        case .luw: "url"
        case .s3: "key"
        }
    }
}
