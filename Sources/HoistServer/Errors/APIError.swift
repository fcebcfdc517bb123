import Foundation
import HTTPTypes

/// An error the API answers with: an HTTP status, a stable machine-readable code and a
/// human message. Rendered in the dialect of the route that raised it.
public struct APIError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The HTTP status sent with the error.
    public let status: HTTPResponse.Status
    /// The stable machine-readable code (`invalid_version`, `not_pending`, ...).
    public let code: String
    /// A message for people.
    public let message: String

    /// Extra response headers the error carries (`Allow` on a 405).
    public let headers: HTTPFields

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    static func notImplemented(_ message: String) -> APIError {
        APIError(.notImplemented, "not_implemented", message)
    }
    /// A 401, with the `WWW-Authenticate` challenge RFC 9110 requires of one: the Bearer
    /// scheme (RFC 6750), and `invalid_request` (a malformed header) or `invalid_token` (a
    /// key the store does not know) when a key was given.
    static func unauthorized(_ message: String = "missing or unknown API key", bearerError: String? = nil) -> APIError {
        let challenge = #"Bearer realm="hoist""# + (bearerError.map { #", error="\#($0)""# } ?? "")
        return APIError(.unauthorized, "unauthorized", message, headers: [.wwwAuthenticate: challenge])
    }
    static func missingScope(_ scope: String) -> APIError {
        APIError(.forbidden, "missing_scope", "this key lacks the \(scope) scope")
    }
    static func forbidden(_ message: String) -> APIError { APIError(.forbidden, "forbidden", message) }
    static func invalidVersion(_ got: String?) -> APIError {
        APIError(.badRequest, "invalid_version",
                 "Lightfield-Version must be \(LightfieldVersion.current)" + (got.map { ", got \($0)" } ?? ", header missing"))
    }
    static func invalidRequest(_ message: String) -> APIError { APIError(.badRequest, "invalid_request", message) }
    static func invalidFilename(_ message: String) -> APIError { APIError(.badRequest, "invalid_filename", message) }
    static func unknownPurpose(_ purpose: String) -> APIError {
        APIError(.badRequest, "invalid_purpose", "unknown purpose \(purpose)")
    }
    static func unsupportedMediaType(_ mime: String, purpose: String) -> APIError {
        APIError(.unsupportedMediaType, "unsupported_media_type", "\(mime) is not allowed for purpose \(purpose)")
    }
    static func unsupportedType(_ name: String) -> APIError {
        APIError(.badRequest, "unsupported_type", "\(name): unsupported file type")
    }
    /// A body sent with a content coding (`Content-Encoding: gzip`): the server stores and
    /// reads bodies as they are, so taking it would keep the coded bytes as the file.
    static func unsupportedContentEncoding(_ coding: String) -> APIError {
        APIError(.unsupportedMediaType, "unsupported_media_type",
                 "Content-Encoding \(coding) is not supported: send the body as it is, without a content coding",
                 headers: [.acceptEncoding: "identity"])
    }
    static func tooLarge(_ message: String) -> APIError { APIError(.contentTooLarge, "file_too_large", message) }
    static func notFound(_ what: String = "no such file") -> APIError { APIError(.notFound, "not_found", what) }
    /// A `Range` none of whose bytes the object has: 416 with the object's size.
    static func rangeNotSatisfiable(size: Int64) -> APIError {
        APIError(.rangeNotSatisfiable, "range_not_satisfiable", "the object has \(size) bytes; the range asked for none of them",
                 headers: [.contentRange: "bytes */\(size)", .acceptRanges: "bytes"])
    }
    static func notPending(_ status: String) -> APIError {
        APIError(.conflict, "not_pending", "the upload session is \(status), not PENDING")
    }
    static func uploadMissing() -> APIError {
        APIError(.conflict, "upload_missing", "no bytes have been uploaded for this session")
    }
    static func sessionExpired() -> APIError { APIError(.conflict, "expired", "the upload session has expired") }
    static func notCompleted(_ status: String) -> APIError {
        APIError(.conflict, "not_completed", "the file is \(status), not COMPLETED")
    }
    static func sizeMismatch(declared: Int64, stored: Int64) -> APIError {
        APIError(.unprocessableContent, "size_mismatch",
                 "uploaded \(stored) bytes but the session declared \(declared); upload again")
    }
    static func checksumMismatch(expected: String, actual: String) -> APIError {
        APIError(.unprocessableContent, "checksum_mismatch",
                 "md5 \(expected) given, stored bytes have \(actual); the bytes were discarded, upload again")
    }
    static func checksumConflict() -> APIError {
        APIError(.conflict, "already_completed", "the file is already COMPLETED with a different md5")
    }
    static func signatureMismatch(_ message: String = "the URL signature does not match") -> APIError {
        APIError(.forbidden, "signature_mismatch", message)
    }
    static func urlExpired() -> APIError { APIError(.forbidden, "expired", "the signed URL has expired") }
    /// A PUT older than the object at its name, noticed after it (S3 blobs): it does not
    /// replace that object.
    static func supersededUpload() -> APIError {
        APIError(.conflict, "superseded", "a later upload of this name replaced this one")
    }
    static func preconditionFailed() -> APIError {
        APIError(.preconditionFailed, "precondition_failed", "an object already exists at this name")
    }
    static func noPersona() -> APIError { APIError(.forbidden, "no_persona", "this key has no persona") }
    static func bodyTooLarge(limit: Int64) -> APIError {
        APIError(.contentTooLarge, "too_large", "the body is larger than the \(limit) bytes declared")
    }
    static func requestTimeout() -> APIError {
        APIError(.requestTimeout, "request_timeout", "the request body stalled; the upload was discarded")
    }
    static func noRoute(_ path: String) -> APIError { APIError(.notFound, "not_found", "no route for \(path)") }
    static func methodNotAllowed(_ method: HTTPRequest.Method, allowed: [HTTPRequest.Method]) -> APIError {
        let list = allowed.map(\.rawValue).joined(separator: ", ")
        return APIError(.methodNotAllowed, "method_not_allowed", "\(method.rawValue) is not allowed here; use \(list)",
                        headers: [.allow: list])
    }
    /// A request cut off by the server's own shutdown; nothing of it was kept.
    static func shuttingDown() -> APIError {
        APIError(.serviceUnavailable, "unavailable", "the server is shutting down; try again", headers: [.retryAfter: "5"])
    }
    /// The metadata database did not answer in time or cannot be reached; nothing changed.
    static func databaseUnavailable() -> APIError {
        APIError(.serviceUnavailable, "unavailable", "the server's database did not answer in time; try again",
                 headers: [.retryAfter: "5"])
    }
    /// The database answers without hoist's tables (dropped, or emptied and made again under
    /// a running server); nothing changed. Starting `hoist serve` again makes them.
    static func databaseSchemaMissing() -> APIError {
        APIError(.serviceUnavailable, "unavailable", "the server's database has lost its tables (restarting the server makes them); try again",
                 headers: [.retryAfter: "5"])
    }
    /// The S3 blob store could not be reached, or answered 5xx; nothing changed.
    static func blobStoreUnavailable() -> APIError {
        APIError(.serviceUnavailable, "unavailable", "the server's blob store did not answer; try again",
                 headers: [.retryAfter: "5"])
    }
    /// Every stamp a knowledge name could take within a second is taken (``StampedNames``).
    static func stampsTaken() -> APIError {
        APIError(.serviceUnavailable, "unavailable", "a thousand uploads of this name began within a second; try again",
                 headers: [.retryAfter: "1"])
    }
    static func internalError() -> APIError {
        APIError(.internalServerError, "internal_error", "the server failed to answer this request")
    }
}
