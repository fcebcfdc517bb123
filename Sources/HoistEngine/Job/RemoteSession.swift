import Foundation

/// An upload session the server handed out: where to PUT, with which headers, until when.
public struct RemoteSession: Sendable, Equatable, Codable {
    /// Lightfield: the file id (`fil_...`). Luw: the final URL, which is how Luw names a file.
    public var id: String
    /// The stored name (Lightfield stamps knowledge uploads).
    public var filename: String
    public var uploadURL: String
    /// Exactly the headers the PUT must carry, in the server's order.
    public var uploadHeaders: [Header]
    public var expiresAt: Date?
    /// Set when the bytes go as a multipart upload (S3): its upload id and part size.
    public var multipart: Multipart?

    /// What a listing of pending sessions calls this one: its multipart upload's id where
    /// it has one (an S3 key may have several open), else its id.
    var pendingID: String { multipart?.uploadID ?? id }

    /// A multipart upload the store has opened: parts are PUT to it, then it is completed.
    public struct Multipart: Sendable, Equatable, Codable {
        public var uploadID: String
        public var partSize: Int64
        public init(uploadID: String, partSize: Int64) {
            self.uploadID = uploadID
            self.partSize = partSize
        }
    }

    public struct Header: Sendable, Equatable, Codable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(id: String, filename: String, uploadURL: String, uploadHeaders: [Header], expiresAt: Date?, multipart: Multipart? = nil) {
        self.multipart = multipart
        self.id = id
        self.filename = filename
        self.uploadURL = uploadURL
        self.uploadHeaders = uploadHeaders
        self.expiresAt = expiresAt
    }

    /// True when the session can no longer take a PUT at `now`.
    public func isExpired(at now: Date) -> Bool {
        guard let expiresAt else { return false }
        return expiresAt <= now
    }
}
