import Foundation

/// One upload API: how a session is created, completed and cancelled, how files are read
/// back, and what the PUT needs. The engine, the journal and the front ends know only this
/// protocol (through ``UploadAPI``); a dialect is one type in its own folder.
public protocol UploadDialect: Sendable {
    /// The name a local file is created under, from its path as the user named it
    /// (`photos/a.jpg`): Luw's temporary uploads get `x12tmp-`, S3 keys the prefix.
    func requestedName(for localName: String) -> String
    /// Creates an upload session for a file called `name` of `size` bytes.
    func createSession(name: String, size: Int64, mimeType: String, via api: DialectTransport) async throws(EngineError) -> RemoteSession
    /// Tells the service every byte is there (`md5` is the body's).
    func complete(_ session: RemoteSession, md5: String, via api: DialectTransport) async throws(EngineError)
    /// Whether pending sessions can be cancelled (and listed, to find orphans).
    var cancelsSessions: Bool { get }
    /// Cancels a pending session; does nothing where ``cancelsSessions`` is false.
    func cancel(id: String, via api: DialectTransport) async throws(EngineError)
    /// The file's metadata.
    func status(id: String, via api: DialectTransport) async throws(EngineError) -> RemoteFile
    /// A URL the file can be downloaded from.
    func downloadURL(id: String, via api: DialectTransport) async throws(EngineError) -> String
    /// The caller's files with `status`, newest first, down to the first created before `since`.
    /// `named`: the name a create asked for, where the dialect can only list by name (s3's
    /// multipart uploads, by key); the others list every file and leave matching to the caller.
    func list(status: String, since: Date?, named: String?, via api: DialectTransport) async throws(EngineError) -> [RemoteFile]
    /// What the service would refuse about this file, checked before any network call
    /// (nil: nothing); the service checks again.
    func refusal(name: String, size: Int64, mimeType: String, rules: UploadRules) -> EngineError?
    /// The profile's options as the status pane shows them (`purpose general`,
    /// `bucket b, prefix p/`); empty when there are none.
    var optionsSummary: String { get }
    /// Headers every API call carries besides the key (a version header).
    var callHeaders: [(String, String)] { get }

    // The transfer: defaults in UploadDialect+Transfer.swift suit presigned-URL services.

    /// Whether each PUT carries its body's MD5 as `Content-MD5` (read from the file first).
    var sendsContentMD5: Bool { get }
    /// Whether a PUT's answer carrying the store's MD5 of the body (an S3 ETag) is held to
    /// the MD5 sent: a store that ignored `Content-MD5` still cannot store other bytes unseen.
    var checksPutETag: Bool { get }
    /// Whether completing `session` calls the service (false: the PUT answered was the
    /// whole upload, as an S3 single PUT is).
    func completeCalls(_ session: RemoteSession) -> Bool
    /// Whether the object of `session` already holds the bytes of MD5 `md5` (hex; for a
    /// multipart session, the multipart ETag its parts make); asked when a PUT or a complete
    /// is refused because the object exists.
    func holds(_ session: RemoteSession, md5: String, via api: DialectTransport) async throws(EngineError) -> Bool
    /// The MD5 of the bytes the object of a single-PUT `session` holds, asked when the PUT's
    /// answer gave none (no ETag, or one not of an MD5's shape) though the dialect checks it
    /// (``checksPutETag``). Nil when the store cannot tell (no read permission, an encrypted
    /// object's ETag).
    func storedMD5(of session: RemoteSession, via api: DialectTransport) async throws(EngineError) -> String?
    /// The object a create refused because it exists (``EngineError/isAlreadyExists``) found
    /// at `name`: its size, its ETag, and the session a finished upload of it has. Nil when
    /// there is none, or the dialect refuses no create so.
    func storedObject(named name: String, via api: DialectTransport) async throws(EngineError) -> StoredObject?
    /// The PUT of `session` (`part` of a multipart session), signed now if the dialect signs.
    func putTarget(for session: RemoteSession, part: Int?, contentMD5: String?, via api: DialectTransport) throws(EngineError) -> PutTarget
    /// The parts a multipart session's store holds, every page of them.
    func listParts(of session: RemoteSession, via api: DialectTransport) async throws(EngineError) -> [UploadedPart]
    /// Completes the session with its parts (empty for a single PUT); returns the checksum
    /// the store reports for the object (the MD5, or S3's multipart ETag).
    func complete(_ session: RemoteSession, md5: String, parts: [UploadedPart], via api: DialectTransport) async throws(EngineError) -> String
    /// Cancels this session (an S3 multipart upload is aborted).
    func cancel(_ session: RemoteSession, via api: DialectTransport) async throws(EngineError)
    /// A download URL valid for `expiresIn` where the dialect signs its own.
    func downloadURL(id: String, expiresIn: Duration?, via api: DialectTransport) async throws(EngineError) -> String
    /// This dialect's reading of an error from its PUT or complete call.
    func interpret(_ error: EngineError, for session: RemoteSession) -> EngineError
}

extension Dialect {
    /// The implementation of this dialect for `profile`.
    public func implementation(for profile: Profile) -> any UploadDialect {
        switch self {
        case .lightfield: return LightfieldDialect(profile: profile)
        case .luw: return LuwDialect(profile: profile)
        case .s3: return S3Dialect(profile: profile)
        }
    }
}
