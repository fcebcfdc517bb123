import Crypto
import Foundation
import NIOHTTP1

/// Lightfield calls against a test server, spelled as the seed does.
public struct LightfieldCalls: Sendable {
    public let baseURL: String
    public let key: String

    public init(baseURL: String, key: String) {
        self.baseURL = baseURL
        self.key = key
    }

    public func create(purpose: String = "meeting_transcript", filename: String = "notes.txt",
                       mimeType: String = "text/plain", sizeBytes: Int) async throws -> HTTPResult {
        try await TestHTTP.send(.POST, "\(baseURL)/v1/files", headers: TestHTTP.lightfield(key), body: TestHTTP.json([
            "purpose": purpose, "filename": filename, "mimeType": mimeType, "sizeBytes": sizeBytes,
        ]))
    }

    /// PUTs `body` to a created session's `uploadUrl` with exactly its `uploadHeaders`,
    /// changed by `override` (a `nil` value drops that header).
    public func put(_ created: HTTPResult, body: Data, override: [String: String?] = [:]) async throws -> HTTPResult {
        var headers = (created.json["uploadHeaders"] as? [String: String]) ?? [:]
        for (name, value) in override { headers[name] = value }
        return try await TestHTTP.send(.PUT, created.string("uploadUrl") ?? "", headers: headers.map { ($0.key, $0.value) }, body: body)
    }

    public func complete(_ id: String, md5: String? = nil) async throws -> HTTPResult {
        let body: [String: any Sendable] = md5.map { ["md5": $0] } ?? [:]
        return try await TestHTTP.send(.POST, "\(baseURL)/v1/files/\(id)/complete", headers: TestHTTP.lightfield(key),
                                       body: TestHTTP.json(body))
    }

    public func metadata(_ id: String) async throws -> HTTPResult {
        try await TestHTTP.send(.GET, "\(baseURL)/v1/files/\(id)", headers: TestHTTP.lightfield(key))
    }

    public func downloadURL(_ id: String) async throws -> HTTPResult {
        try await TestHTTP.send(.GET, "\(baseURL)/v1/files/\(id)/url", headers: TestHTTP.lightfield(key))
    }

    public func cancel(_ id: String) async throws -> HTTPResult {
        try await TestHTTP.send(.POST, "\(baseURL)/v1/files/\(id)/cancel", headers: TestHTTP.lightfield(key))
    }

    public func list(_ query: String = "") async throws -> HTTPResult {
        try await TestHTTP.send(.GET, "\(baseURL)/v1/files\(query)", headers: TestHTTP.lightfield(key))
    }

    /// Create, PUT and complete `body`; returns the completed metadata.
    public func upload(_ body: Data, purpose: String = "meeting_transcript", filename: String = "notes.txt",
                       mimeType: String = "text/plain") async throws -> HTTPResult {
        let created = try await create(purpose: purpose, filename: filename, mimeType: mimeType, sizeBytes: body.count)
        _ = try await put(created, body: body)
        return try await complete(created.string("id") ?? "", md5: MD5Hex.of(body))
    }

    /// Uploads `body` whole, then asks for its download URL: the file's id, and the URL's
    /// path and query for a raw `GET` (where the tests of raw downloads start).
    public func storedDownload(_ body: Data, filename: String) async throws -> (id: String, target: String) {
        let stored = try await upload(body, purpose: "general", filename: filename)
        guard stored.status == 200, let id = stored.string("id") else {
            throw ChildProcessError(description: "upload of \(filename): \(stored.status) \(stored.text)")
        }
        guard let url = try await downloadURL(id).string("url"), url.hasPrefix(baseURL) else {
            throw ChildProcessError(description: "no download URL for \(id)")
        }
        return (id, String(url.dropFirst(baseURL.count)))
    }
}

/// Luw calls against a test server.
public struct LuwCalls: Sendable {
    public let baseURL: String
    public let key: String

    public init(baseURL: String, key: String) {
        self.baseURL = baseURL
        self.key = key
    }

    public func upload(filename: String, pid: String? = nil) async throws -> HTTPResult {
        var fields = [("filename", filename)]
        if let pid { fields.append(("pid", pid)) }
        let form = TestHTTP.form(fields)
        return try await TestHTTP.send(.POST, "\(baseURL)/v2/upload",
                                       headers: [("Authorization", "Bearer \(key)"), ("Content-Type", form.contentType)],
                                       body: form.body)
    }

    public func put(_ signedURL: String, body: Data, contentType: String? = "image/jpeg",
                    extra: [(String, String)] = [("Cache-Control", "max-age=315360000"), ("Expires", "Sun, 19 Jul 2030 18:06:32 GMT")])
        async throws -> HTTPResult
    {
        var headers = extra
        if let contentType { headers.append(("Content-Type", contentType)) }
        return try await TestHTTP.send(.PUT, signedURL, headers: headers, body: body)
    }

    public func finalize(_ finalURL: String) async throws -> HTTPResult {
        var components = URLComponents(string: "\(baseURL)/v2/finalize_upload")
        components?.queryItems = [URLQueryItem(name: "url", value: finalURL)]
        return try await TestHTTP.send(.GET, components?.url?.absoluteString ?? "", headers: [("Authorization", "Bearer \(key)")])
    }
}

/// Hex MD5 of bytes, as the API writes it.
public enum MD5Hex {
    public static func of(_ data: Data) -> String {
        Insecure.MD5.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
