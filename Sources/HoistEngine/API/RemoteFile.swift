import Foundation

/// A file as the server describes it (`GET /v1/files/{id}`), or what Luw's final URL tells.
public struct RemoteFile: Sendable, Equatable, Decodable {
    public var id: String
    public var filename: String
    public var purpose: String?
    public var mimeType: String?
    public var sizeBytes: Int64?
    public var status: String
    public var md5: String?
    public var createdAt: Date?
    public var completedAt: Date?
    public var expiresAt: Date?
    /// S3: the object's ETag and the checksum the store keeps (`CRC32C abc==`), if any.
    public var etag: String?
    public var checksum: String?
    /// S3: the multipart upload a pending entry is (its key is ``id``).
    public var uploadID: String?

    public init(
        id: String, filename: String, purpose: String? = nil, mimeType: String? = nil, sizeBytes: Int64? = nil,
        status: String, md5: String? = nil, createdAt: Date? = nil, completedAt: Date? = nil, expiresAt: Date? = nil,
        uploadID: String? = nil
    ) {
        self.id = id
        self.filename = filename
        self.purpose = purpose
        self.mimeType = mimeType
        self.sizeBytes = sizeBytes
        self.status = status
        self.md5 = md5
        self.createdAt = createdAt
        self.completedAt = completedAt
        self.expiresAt = expiresAt
        self.uploadID = uploadID
    }
}
