/// Every error the engine reports: one struct, a stable code, a human message.
///
/// Errors cross the event stream to front ends, so they are values (`Equatable`,
/// `Sendable`) rather than a tree of types; `description` is what a user reads.
public struct EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: String, Sendable {
        case config, profile, missingKey
        case fileNotFound, notAFile, fileChanged, fileVanished, unreadable, unnamable
        case unsupportedType, mimeNotAllowed, tooLarge, emptyFile
        case network, refused, unresolved, tls, server, client, expired, nameTaken, nameClash, cancelled, protocolViolation
        case journal, elsewhere
    }

    private let code: Code
    /// The HTTP status when the error came from a server answer.
    public let status: Int?
    /// The server's machine-readable code (`upload_missing`, `expired`...), when it gave one.
    public let serverCode: String?
    /// The human message, already phrased for a user.
    public let message: String
    /// The server's own message, unprefixed, when the error came from a server answer
    /// (`message` says the same with the status and code in front).
    public let serverMessage: String?
    /// How long the server asked to be left alone (`Retry-After` on a 429 or 503): the next
    /// attempt waits at least this long.
    public let retryAfter: Duration?

    private init(_ code: Code, _ message: String, status: Int? = nil, serverCode: String? = nil, serverMessage: String? = nil,
                 retryAfter: Duration? = nil) {
        self.code = code
        self.message = message
        self.status = status
        self.serverCode = serverCode
        self.serverMessage = serverMessage
        self.retryAfter = retryAfter
    }

    public var description: String { message }

    /// An error as another process described it (`codeName` and the fields): how a client
    /// of the background engine gets back the engine's error. Nil for an unknown code.
    public init?(codeName: String, message: String, status: Int? = nil, serverCode: String? = nil, serverMessage: String? = nil) {
        guard let code = Code(rawValue: codeName) else { return nil }
        self.init(code, message, status: status, serverCode: serverCode, serverMessage: serverMessage)
    }

    /// A short stable name for scripts (`--json` prints it as `"error_code"`).
    public var codeName: String { code.rawValue }

    // MARK: configuration

    public static func config(_ message: String) -> Self { .init(.config, message) }
    public static func profile(_ message: String) -> Self { .init(.profile, message) }
    public static func missingKey(variable: String) -> Self {
        .init(.missingKey, "environment variable \(variable) is not set (it must hold the API key)")
    }
    /// No usable AWS credentials for the s3 dialect; `message` says where hoist looked.
    public static func missingCredentials(_ message: String) -> Self { .init(.missingKey, message) }

    // MARK: local files

    public static func fileNotFound(_ path: String) -> Self { .init(.fileNotFound, "\(path): no such file") }
    public static func notAFile(_ path: String) -> Self { .init(.notAFile, "\(path): not a regular file") }
    public static func fileChanged(_ path: String) -> Self {
        .init(.fileChanged, "\(path): file changed during upload (contents, size or modification time)")
    }
    public static func fileVanished(_ path: String) -> Self { .init(.fileVanished, "\(path): file vanished during upload") }
    /// Changed between its queueing and its turn: nothing was sent, no session was made.
    public static func changedWhileQueued(_ path: String) -> Self {
        .init(.fileChanged, "\(path): changed since it was queued (contents, size or modification time); not uploaded, queue it again")
    }
    public static func vanishedWhileQueued(_ path: String) -> Self { .init(.fileVanished, "\(path): gone since it was queued") }
    var isFileVanished: Bool { code == .fileVanished }
    public static func unreadable(_ path: String, _ reason: String) -> Self { .init(.unreadable, "\(path): \(reason)") }
    /// A file whose name is not UTF-8 (`path` shows each bad byte as U+FFFD): no path string
    /// can name it, nor can a dialect send it as a file name.
    public static func unnamable(_ path: String) -> Self {
        .init(.unnamable, "\(path): its name is not valid UTF-8, so hoist cannot name it (rename it to upload it)")
    }
    /// A directory given to `add` (or met while walking one) that cannot be listed.
    public static func unreadableDirectory(_ path: String, _ reason: String) -> Self {
        .init(.unreadable, "\(path): cannot read directory: \(reason)")
    }
    public static func unsupportedType(_ name: String, supported: String) -> Self {
        .init(.unsupportedType, "\(name): unsupported file type (supported: \(supported))")
    }
    public static func mimeNotAllowed(_ mime: String, purpose: String) -> Self {
        .init(.mimeNotAllowed, "MIME type \(mime) is not allowed for purpose \(purpose)")
    }
    public static func tooLarge(size: Int64, limit: Int64, purpose: String) -> Self {
        .init(.tooLarge, "file of \(size) bytes exceeds the \(limit)-byte limit of purpose \(purpose)")
    }
    public static func emptyFile(_ path: String) -> Self { .init(.emptyFile, "\(path): empty files cannot be uploaded") }

    // MARK: remote

    /// A network failure worth another attempt (reset, timeout, closed connection).
    public static func network(_ reason: String) -> Self { .init(.network, "network error: \(reason)") }
    /// Nothing listens at `host:port`. Final, and it halts the run: every upload would meet it.
    public static func refused(host: String, port: Int) -> Self {
        .init(.refused, "connection refused by \(hostPort(host, port)) — is the server running?")
    }
    /// `host` does not resolve. Final, and it halts the run.
    public static func unresolved(host: String, _ reason: String? = nil) -> Self {
        .init(.unresolved, "cannot resolve the host name \(host)" + (reason.map { " (\($0))" } ?? ""))
    }
    /// The TLS handshake with `host:port` failed (certificate, protocol). Final, and it halts the run.
    public static func tls(host: String, port: Int, _ reason: String) -> Self {
        .init(.tls, "TLS handshake with \(hostPort(host, port)) failed: \(reason)")
    }
    /// A server's error answer. 5xx, and the S3 codes the AWS SDKs retry
    /// (``retryableCodes``, which S3 sends with 400 and 503), are worth another try; other
    /// 4xx are final. 429 (too many requests) is worth another try too, after the server's
    /// `Retry-After`; so is 408, the server's word that the request (a body stalled while
    /// this machine was suspended or paused) did not arrive in time and may be sent again.
    public static func http(status: Int, code: String?, message: String, retryAfter: Duration? = nil) -> Self {
        let text = "server answered \(status)\(code.map { " \($0)" } ?? ""): \(message)"
        let transient = status >= 500 || status == 429 || status == 408 || code.map(retryableCodes.contains) == true
        return .init(transient ? .server : .client, text, status: status, serverCode: code, serverMessage: message,
                     retryAfter: transient ? retryAfter : nil)
    }

    /// S3 error codes a retry with backoff can cure.
    /// `RequestTimeTooSkewed` too: the refusal taught hoist the store's clock
    /// (``S3ClockSkew``), and the next attempt is signed by it. `ConditionalRequestConflict`
    /// (409) is S3's answer to a conditional PUT (`if-none-match: *`) that met another write
    /// or a delete of the same key in progress; S3 asks for the request again.
    public static let retryableCodes: Set<String> = [
        "RequestTimeout", "SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeTooSkewed", "ConditionalRequestConflict",
    ]

    /// Whether an answer says the signed URL or its credentials ran out, so that a new
    /// session (a fresh URL) is the cure: a 403 that says expired, S3's `ExpiredToken`
    /// (temporary credentials), and `AccessDenied` with "Request has expired".
    public static func asksForNewSession(status: Int, code: String?, message: String) -> Bool {
        if code == "ExpiredToken" { return true }
        if code == "AccessDenied" { return message.localizedCaseInsensitiveContains("request has expired") }
        return status == 403 && (code == "expired" || message.lowercased().contains("expired"))
    }

    /// This error as a dialect that signs every request itself (s3) reads it: an answer that
    /// says the signature or its credentials ran out (``asksForNewSession``) asks for the
    /// same request signed anew, as AWS's tools do, not for a new session (a new multipart
    /// upload would leave the first one's parts behind): a server error worth another try.
    /// A forgotten upload (`NoSuchUpload`) still needs a new one.
    public var signedAgain: Self {
        guard code == .expired, serverCode != "NoSuchUpload" else { return self }
        let status = status ?? 403
        return .init(.server, "server answered \(status)\(serverCode.map { " \($0)" } ?? ""): \(serverMessage ?? message) (signed again)",
                     status: status, serverCode: serverCode, serverMessage: serverMessage)
    }

    public static func expired(_ message: String, code: String? = "expired") -> Self {
        .init(.expired, "session expired: \(message)", status: 403, serverCode: code ?? "expired", serverMessage: message)
    }
    /// `--no-clobber` met an object that exists (S3's 412 to `If-None-Match: *`): final.
    public static func alreadyExists(_ key: String) -> Self {
        .init(.client, "already exists: \(key) (--no-clobber)", status: 412, serverCode: "PreconditionFailed", serverMessage: alreadyExistsMessage)
    }
    private static let alreadyExistsMessage = "already exists"
    /// Whether this is ``alreadyExists(_:)``.
    public var isAlreadyExists: Bool { status == 412 && serverCode == "PreconditionFailed" && serverMessage == Self.alreadyExistsMessage }
    public static func nameTaken(_ message: String) -> Self { .init(.nameTaken, "name taken: \(message)", status: 412, serverMessage: message) }
    /// Another file queued in this engine goes to the same object key (a bucket key or a
    /// Luw final URL), where the later one would silently replace the earlier: refused.
    public static func nameClash(_ name: String, with path: String) -> Self {
        .init(.nameClash, "\(name): \(path) is queued to the same name; the second would replace the first")
    }
    public static let cancelled = Self(.cancelled, "cancelled")
    public static func protocolViolation(_ message: String) -> Self { .init(.protocolViolation, "unexpected server answer: \(message)") }
    public static func journal(_ message: String) -> Self { .init(.journal, "journal: \(message)") }
    /// Another hoist on the same journal (process `pid`) is uploading the file now.
    public static func uploadingElsewhere(_ path: String, pid: String) -> Self {
        .init(.elsewhere, "\(path): another hoist on this journal (pid \(pid)) is uploading it now; run again once it is done")
    }

    // MARK: classification, used by the job state machine

    /// Network errors and 5xx: worth another attempt with the same session.
    public var isTransient: Bool { code == .network || code == .server }
    /// The session can no longer be used: create a new one.
    public var needsNewSession: Bool { code == .expired || code == .nameTaken }
    public var isCancellation: Bool { code == .cancelled }

    /// A few words for a queue row (`unreadable`, `refused`, `401 bad key`, `413 too large`,
    /// `changed`); `description` has the whole story.
    public var shortReason: String {
        switch code {
        case .config, .profile, .journal: return "config"
        case .elsewhere: return "uploading elsewhere"
        case .missingKey: return "no API key"
        case .fileNotFound: return "not found"
        case .notAFile: return "not a file"
        case .fileChanged: return "changed"
        case .fileVanished: return "vanished"
        case .unreadable: return "unreadable"
        case .unnamable: return "name not UTF-8"
        case .unsupportedType: return "unsupported type"
        case .mimeNotAllowed: return "type not allowed"
        case .tooLarge: return "too large"
        case .emptyFile: return "empty"
        case .network: return "network"
        case .refused: return "refused"
        case .unresolved: return "unresolved"
        case .tls: return "tls"
        case .expired: return "expired"
        case .nameTaken: return "412 name taken"
        case .nameClash: return "same name"
        case .cancelled: return "cancelled"
        case .protocolViolation: return "bad answer"
        case .server, .client:
            let words: [Int: String] = [
                400: "bad request", 401: "bad key", 403: "forbidden", 404: "not found", 409: "conflict",
                413: "too large", 415: "type not allowed", 422: "rejected",
            ]
            guard let status else { return "server error" }
            if serverCode == "no_persona" { return "403 no persona" }
            return "\(status) " + (words[status] ?? (status >= 500 ? "server error" : "rejected"))
        }
    }

    /// Whether this failure will hit every other upload to the same destination too, so
    /// that starting more uploads (or retrying) would only repeat it: a refused connection,
    /// a host name that does not resolve, a TLS failure, a bad key (401), a Luw key without
    /// persona (403 `no_persona`), S3 credentials the store does not know
    /// (`InvalidAccessKeyId`). Not `SignatureDoesNotMatch`: a store can refuse one request's
    /// signature for that request's own reasons (a key it canonicalises otherwise). None of
    /// these is retried; see `EngineConfiguration.onHalt`.
    public var haltsRun: Bool {
        code == .refused || code == .unresolved || code == .tls || status == 401
            || serverCode.map(Self.haltingCodes.contains) == true
    }

    /// Server codes that every other request with the same key would get too.
    static let haltingCodes: Set<String> = ["no_persona", "InvalidAccessKeyId"]

    private static func hostPort(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
