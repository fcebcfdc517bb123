import Foundation

/// One PUT as it is sent: the URL and exactly the headers it must carry.
public struct PutTarget: Sendable, Equatable {
    public var url: String
    public var headers: [RemoteSession.Header]
    public init(url: String, headers: [RemoteSession.Header]) {
        self.url = url
        self.headers = headers
    }
}

/// A part of a multipart upload that the store holds: number, ETag, size, and the MD5 hoist
/// computed for it (nil for a part only the store's listing knows).
public struct UploadedPart: Sendable, Equatable {
    public var number: Int
    public var etag: String
    public var size: Int64
    public var md5: String?
    public init(number: Int, etag: String, size: Int64, md5: String? = nil) {
        self.number = number
        self.etag = etag
        self.size = size
        self.md5 = md5
    }
}

/// An object already at a name (see ``UploadDialect/storedObject(named:via:)``).
public struct StoredObject: Sendable, Equatable {
    /// The session a finished upload of the object has (for S3, its key).
    public var session: RemoteSession
    public var size: Int64
    /// The store's checksum of it, bare: an MD5, or S3's multipart `MD5-N`.
    public var etag: String

    public init(session: RemoteSession, size: Int64, etag: String) {
        self.session = session
        self.size = size
        self.etag = etag
    }
}

/// How a file of some size is cut into parts: at most 10,000, none under 8 MiB (but the
/// last), each a whole number of MiB.
public struct PartPlan: Sendable, Equatable {
    public static let maximumParts: Int64 = 10_000
    public static let minimumPartSize: Int64 = 8 << 20

    public let size: Int64
    public let partSize: Int64

    public init(size: Int64, partSize: Int64) {
        self.size = size
        self.partSize = max(1, partSize)
    }

    /// The part size for a file of `size` bytes.
    public static func partSize(for size: Int64) -> Int64 {
        let mib: Int64 = 1 << 20
        let spread = (size + maximumParts - 1) / maximumParts
        return max(minimumPartSize, (spread + mib - 1) / mib * mib)
    }

    public var count: Int { size == 0 ? 1 : Int((size + partSize - 1) / partSize) }

    /// Part `number`'s bytes (numbers start at 1).
    public func range(of number: Int) -> Range<Int64> {
        let start = Int64(number - 1) * partSize
        return start..<min(size, start + partSize)
    }
}

/// The transfer half of a dialect. The defaults are what a presigned-URL service does (one
/// PUT to the session's URL with its headers, nothing to list, nothing to check); the s3
/// dialect signs each PUT itself and sends large files in parts.
extension UploadDialect {
    public var sendsContentMD5: Bool { false }

    public var checksPutETag: Bool { false }

    public func completeCalls(_ session: RemoteSession) -> Bool { true }

    public func holds(_ session: RemoteSession, md5: String, via api: DialectTransport) async throws(EngineError) -> Bool { false }

    public func storedMD5(of session: RemoteSession, via api: DialectTransport) async throws(EngineError) -> String? { nil }

    public func storedObject(named name: String, via api: DialectTransport) async throws(EngineError) -> StoredObject? { nil }

    public func putTarget(for session: RemoteSession, part: Int?, contentMD5: String?, via api: DialectTransport) throws(EngineError) -> PutTarget {
        PutTarget(url: session.uploadURL, headers: session.uploadHeaders)
    }

    public func listParts(of session: RemoteSession, via api: DialectTransport) async throws(EngineError) -> [UploadedPart] { [] }

    public func complete(_ session: RemoteSession, md5: String, parts: [UploadedPart], via api: DialectTransport) async throws(EngineError) -> String {
        try await complete(session, md5: md5, via: api)
        return md5
    }

    public func cancel(_ session: RemoteSession, via api: DialectTransport) async throws(EngineError) {
        try await cancel(id: session.id, via: api)
    }

    public func downloadURL(id: String, expiresIn: Duration?, via api: DialectTransport) async throws(EngineError) -> String {
        try await downloadURL(id: id, via: api)
    }

    public func interpret(_ error: EngineError, for session: RemoteSession) -> EngineError { error }
}
