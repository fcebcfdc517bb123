import Foundation

/// A validated `POST /v1/files` body.
struct CreateFileSpec {
    let purpose: String
    let rule: PurposeRule
    let filename: String
    let mimeType: String
    let sizeBytes: Int64

    private struct Body: Decodable {
        var purpose: String?
        var filename: String?
        var mimeType: String?
        var sizeBytes: DeclaredSize?
    }

    /// A `sizeBytes` (an integer: `StrictJSON` refused any fraction), beyond `Int64` too: a
    /// number that large is a size over every purpose's limit (413, as API.md has it), not
    /// a body that is not JSON. One past what a `Double` holds (`1e400`) is not read.
    private enum DeclaredSize: Decodable {
        case bytes(Int64)
        case beyondInt64(negative: Bool)

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let bytes = try? container.decode(Int64.self) {
                self = .bytes(bytes)
            } else {
                let value = try container.decode(Double.self)
                guard value.isFinite, value.magnitude >= 0x1p63 else { throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an integer") }
                self = .beyondInt64(negative: value < 0)
            }
        }
    }

    /// Validates in API.md's order: fields, purpose, role, MIME type, size, name.
    init(json: Data, policy: PurposePolicy, caller: Caller) throws {
        let body: Body
        do {
            body = try JSONDecoder().decode(Body.self, from: json)
        } catch {
            throw APIError.invalidRequest("the body must be a JSON object; purpose, filename and mimeType are strings, sizeBytes an integer")
        }
        guard let purpose = body.purpose, let filename = body.filename, let mimeType = body.mimeType,
              let declared = body.sizeBytes
        else { throw APIError.invalidRequest("purpose, filename, mimeType and sizeBytes are required") }
        guard let rule = policy.rules[purpose] else { throw APIError.unknownPurpose(purpose) }
        if rule.requiresAdmin, !caller.isAdmin {
            throw APIError.forbidden("purpose \(purpose) needs an admin key")
        }
        let mime = mimeType.split(separator: ";").first.map { $0.trimmingWhitespace().lowercased() } ?? ""
        guard !mime.isEmpty else { throw APIError.invalidRequest("mimeType is empty") }
        // It comes back as the PUT's signed content-type: a value with CR, LF or other
        // bytes a header cannot hold would make a session no client can use.
        guard Self.isMediaType(mime) else { throw APIError.invalidRequest("mimeType must be a media type such as text/plain") }
        if let allowed = rule.mimeTypes, !allowed.contains(mime) {
            throw APIError.unsupportedMediaType(mime, purpose: purpose)
        }
        let bytes: Int64
        switch declared {
        case .bytes(let value): bytes = value
        case .beyondInt64(let negative): bytes = negative ? .min : .max
        }
        guard bytes > 0 else { throw APIError.invalidRequest("sizeBytes must be greater than 0") }
        guard bytes <= rule.maxBytes else {
            let size = if case .beyondInt64 = declared { "a size past 2^63" } else { "\(bytes) bytes" }
            throw APIError.tooLarge("\(size) is over the \(rule.maxBytes)-byte limit of purpose \(purpose)")
        }
        self.purpose = purpose
        self.rule = rule
        self.filename = try FileNames.sanitize(filename)
        self.mimeType = mime
        self.sizeBytes = bytes
    }

    /// `type/subtype`, each an HTTP token (RFC 9110 section 8.3.1).
    static func isMediaType(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.unicodeScalars.allSatisfy(isTokenCharacter) }
    }

    private static func isTokenCharacter(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.isASCII else { return false }
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9": return true
        default: return "!#$%&'*+-.^_`|~".unicodeScalars.contains(scalar)
        }
    }
}

/// The answer to `POST /v1/files`.
struct CreatedFile: Encodable {
    let id: String
    let filename: String
    let status: String
    let uploadUrl: String
    let uploadHeaders: [String: String]
    let expiresAt: String

    init(session: SessionRecord, uploadURL: String) {
        id = session.id
        filename = session.filename
        status = session.status.rawValue
        uploadUrl = uploadURL
        uploadHeaders = Dictionary(session.uploadHeaders, uniquingKeysWith: { first, _ in first })
        expiresAt = Timestamp.string(session.expiresAt)
    }
}

/// A file's metadata, as `GET /v1/files/{id}` shows it.
struct FileMetadata: Encodable {
    let session: SessionRecord

    init(_ session: SessionRecord) { self.session = session }

    private enum Key: String, CodingKey {
        case id, filename, purpose, mimeType, sizeBytes, status, md5, createdAt, completedAt, expiresAt
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(session.id, forKey: .id)
        try c.encode(session.filename, forKey: .filename)
        try c.encode(session.purpose, forKey: .purpose)
        try c.encode(session.mimeType, forKey: .mimeType)
        try c.encode(session.sizeBytes, forKey: .sizeBytes)
        try c.encode(session.status.rawValue, forKey: .status)
        try c.encode(session.md5, forKey: .md5)
        try c.encode(Timestamp.string(session.createdAt), forKey: .createdAt)
        try c.encode(session.completedAt.map(Timestamp.string), forKey: .completedAt)
        try c.encode(Timestamp.string(session.expiresAt), forKey: .expiresAt)
    }
}

/// A page of `GET /v1/files`.
struct FileList: Encodable {
    let data: [FileMetadata]
    let nextCursor: String?

    private enum Key: String, CodingKey { case data, nextCursor }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(data, forKey: .data)
        try c.encode(nextCursor, forKey: .nextCursor)
    }
}

/// The answer to `GET /v1/files/{id}/url`.
struct DownloadURL: Encodable {
    let url: String
    let expiresAt: String
}
