import SigV4
import AsyncHTTPClient
import Foundation
import NIOCore

/// The API calls of the profile's dialect (everything but the PUT), over one shared
/// `HTTPClient`. What each call does is the dialect's (``UploadDialect``); this type only
/// binds a dialect to its endpoint, key and client.
public struct UploadAPI: Sendable {
    public let profile: Profile
    /// The profile's dialect, made once.
    let dialect: any UploadDialect
    let transport: DialectTransport

    /// `timeout`: how long each call waits for its answer's head; `announceRetry`: told of
    /// each housekeeping call asked again (`hoist cancel KEY`'s listing and aborts).
    public init(profile: Profile, key: APIKey, client: HTTPClient, timeout: TimeAmount = HTTPTransport.apiTimeout,
                announceRetry: BriefRetry.Announce? = nil) {
        self.profile = profile
        dialect = profile.dialect.implementation(for: profile)
        transport = DialectTransport(endpoint: profile.endpoint, key: key, client: client, headers: dialect.callHeaders,
                                     timeout: timeout, announceRetry: announceRetry)
    }

    /// How long a one-shot command's call (`hoist status`, `hoist cancel`, `hoist gc`) waits
    /// for an answer: a person waits on it, and a call the engine's minute would hold four
    /// times over (`hoist cancel KEY` asks four times) left a stopped store four minutes
    /// of silence.
    public static let oneShotTimeout: TimeAmount = .seconds(15)

    /// The name the service stores a local file under.
    public func requestedName(for localName: String) -> String { dialect.requestedName(for: localName) }

    /// Creates an upload session for a file called `name` of `size` bytes.
    public func createSession(name: String, size: Int64, mimeType: String) async throws(EngineError) -> RemoteSession {
        try await dialect.createSession(name: name, size: size, mimeType: mimeType, via: transport)
    }

    /// Completes (or finalizes) the session.
    public func complete(_ session: RemoteSession, md5: String) async throws(EngineError) {
        try await dialect.complete(session, md5: md5, via: transport)
    }

    /// Whether the dialect can cancel (and list) pending sessions.
    public var cancelsSessions: Bool { dialect.cancelsSessions }

    /// Cancels a pending session; does nothing in a dialect without a cancel call.
    public func cancel(id: String) async throws(EngineError) {
        try await dialect.cancel(id: id, via: transport)
    }

    /// The file's metadata.
    public func status(id: String) async throws(EngineError) -> RemoteFile {
        try await dialect.status(id: id, via: transport)
    }

    /// A download URL for the file.
    public func downloadURL(id: String) async throws(EngineError) -> String {
        try await dialect.downloadURL(id: id, via: transport)
    }

    /// Whether each PUT must carry `Content-MD5`.
    public var sendsContentMD5: Bool { dialect.sendsContentMD5 }

    /// Whether a PUT's answer is held to the MD5 sent (see ``UploadDialect/checksPutETag``).
    public var checksPutETag: Bool { dialect.checksPutETag }

    /// Whether completing `session` calls the service (see ``UploadDialect/completeCalls(_:)``).
    public func completeCalls(_ session: RemoteSession) -> Bool { dialect.completeCalls(session) }

    /// Whether `session`'s object already holds the bytes of MD5 `md5` (hex; a multipart
    /// session's multipart ETag).
    public func holds(_ session: RemoteSession, md5: String) async throws(EngineError) -> Bool {
        try await dialect.holds(session, md5: md5, via: transport)
    }

    /// The MD5 of what a single-PUT `session`'s object holds (see ``UploadDialect/storedMD5(of:via:)``).
    public func storedMD5(of session: RemoteSession) async throws(EngineError) -> String? {
        try await dialect.storedMD5(of: session, via: transport)
    }

    /// The object at `name` a create refused as existing (see ``UploadDialect/storedObject(named:via:)``).
    public func storedObject(named name: String) async throws(EngineError) -> StoredObject? {
        try await dialect.storedObject(named: name, via: transport)
    }

    /// The PUT of `session` (or of its part `part`), signed now where the dialect signs.
    public func putTarget(for session: RemoteSession, part: Int? = nil, contentMD5: String? = nil) throws(EngineError) -> PutTarget {
        try dialect.putTarget(for: session, part: part, contentMD5: contentMD5, via: transport)
    }

    /// The parts the store holds for a multipart session.
    public func listParts(of session: RemoteSession) async throws(EngineError) -> [UploadedPart] {
        try await dialect.listParts(of: session, via: transport)
    }

    /// Completes the session with its parts; the checksum the store reports.
    public func complete(_ session: RemoteSession, md5: String, parts: [UploadedPart]) async throws(EngineError) -> String {
        try await dialect.complete(session, md5: md5, parts: parts, via: transport)
    }

    /// Cancels `session` (aborting a multipart upload).
    public func cancel(_ session: RemoteSession) async throws(EngineError) {
        try await dialect.cancel(session, via: transport)
    }

    /// A download URL valid for `expiresIn` where the dialect signs its own.
    public func downloadURL(id: String, expiresIn: Duration?) async throws(EngineError) -> String {
        try await dialect.downloadURL(id: id, expiresIn: expiresIn, via: transport)
    }

    /// This dialect's reading of a PUT's or complete's error.
    public func interpret(_ error: EngineError, for session: RemoteSession) -> EngineError { dialect.interpret(error, for: session) }

    /// The bucket's open multipart uploads under `prefix` (s3 dialect only).
    public func pendingMultipartUploads(prefix: String) async throws(EngineError) -> [PendingMultipartUpload] {
        try await S3Uploads.list(prefix: prefix, location: try s3Location(), via: transport)
    }

    /// Aborts one open multipart upload (s3 dialect only).
    public func abortMultipartUpload(key: String, uploadID: String) async throws(EngineError) {
        try await S3Uploads.abort(key: key, uploadID: uploadID, location: try s3Location(), via: transport)
    }

    /// The bucket of an s3 dialect, as its dialect already holds it.
    private func s3Location() throws(EngineError) -> S3Location {
        guard let s3 = dialect as? S3Dialect else { throw .profile("only the s3 dialect has multipart uploads") }
        return s3.location
    }

    /// The caller's files with `status`, newest first, stopping at the first one created
    /// before `since`; see ``UploadDialect/list(status:since:named:via:)`` for `named`.
    public func list(status: String, since: Date?, named: String? = nil) async throws(EngineError) -> [RemoteFile] {
        try await dialect.list(status: status, since: since, named: named, via: transport)
    }

    /// When a signed URL stops working: the earlier of what the server declared and what
    /// the URL itself says (SigV4's `X-Amz-Date` + `X-Amz-Expires`), so that a session is
    /// made again before its URL runs out rather than after a PUT fails.
    static func expiry(declared: Date?, url: String) -> Date? {
        switch (declared, SigV4PresignedURL.expiry(of: url)) {
        case (let a?, let b?): return min(a, b)
        case (let a, let b): return a ?? b
        }
    }
}

extension UploadAPI {
    /// Runs `body` with an API client over a fresh `HTTPClient`, shut down afterwards.
    /// For one-shot commands (`hoist status`); the engine keeps one client for its lifetime.
    /// Each call waits `timeout` for its answer (``oneShotTimeout``).
    public static func with<T: Sendable>(
        profile: Profile, key: APIKey, timeout: TimeAmount = oneShotTimeout, announceRetry: BriefRetry.Announce? = nil,
        _ body: (UploadAPI) async throws(EngineError) -> T
    ) async throws(EngineError) -> T {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: HTTPTransport.clientConfiguration)
        let result: Result<T, EngineError>
        do {
            let api = UploadAPI(profile: profile, key: key, client: client, timeout: timeout, announceRetry: announceRetry)
            result = .success(try await body(api))
        } catch {
            result = .failure(error)
        }
        try? await client.shutdown()
        return try result.get()
    }
}
