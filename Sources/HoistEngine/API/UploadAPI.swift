import AsyncHTTPClient
import Foundation
import NIOCore

/// The API calls of both dialects (everything but the PUT), over one shared `HTTPClient`.
public struct UploadAPI: Sendable {
    public let profile: Profile
    private let key: APIKey
    private let client: HTTPClient

    public init(profile: Profile, key: APIKey, client: HTTPClient) {
        self.profile = profile
        self.key = key
        self.client = client
    }

    static let lightfieldVersion = "2026-03-01"

    /// The name Luw stores: `x12tmp-` prefixed for temporary uploads.
    public func requestedName(for localName: String) -> String {
        profile.dialect == .luw && profile.temporary && !localName.hasPrefix("x12tmp-") ? "x12tmp-" + localName : localName
    }

    // MARK: create

    /// Creates an upload session for a file called `name` of `size` bytes.
    public func createSession(name: String, size: Int64, mimeType: String) async throws(EngineError) -> RemoteSession {
        switch profile.dialect {
        case .lightfield: return try await createLightfield(name: name, size: size, mimeType: mimeType)
        case .luw: return try await createLuw(name: requestedName(for: name), mimeType: mimeType)
        }
    }

    private func createLightfield(name: String, size: Int64, mimeType: String) async throws(EngineError) -> RemoteSession {
        struct Body: Encodable { var purpose: String; var filename: String; var mimeType: String; var sizeBytes: Int64 }
        struct Reply: Decodable {
            var id: String; var filename: String; var uploadUrl: String
            var uploadHeaders: [String: String]?; var expiresAt: Date?
        }
        let body = Body(purpose: profile.effectivePurpose, filename: name, mimeType: mimeType, sizeBytes: size)
        let data = (try? JSONEncoder().encode(body)) ?? Data()
        let answer = try await call("POST", "/v1/files", body: ByteBuffer(bytes: data), contentType: "application/json")
        let reply = try answer.decode(Reply.self)
        let headers = (reply.uploadHeaders ?? [:]).sorted { $0.key < $1.key }.map { RemoteSession.Header($0.key, $0.value) }
        return RemoteSession(
            id: reply.id, filename: reply.filename, uploadURL: absolute(reply.uploadUrl),
            uploadHeaders: headers, expiresAt: Self.expiry(declared: reply.expiresAt, url: absolute(reply.uploadUrl)))
    }

    private func createLuw(name: String, mimeType: String) async throws(EngineError) -> RemoteSession {
        struct Reply: Decodable { var status: Bool; var signed_url: String; var final_url: String }
        var form = MultipartForm()
        form.add("filename", name)
        if let pid = profile.pid { form.add("pid", String(pid)) }
        let answer = try await call("POST", "/v2/upload", body: form.body(), contentType: form.contentType)
        let reply = try answer.decode(Reply.self)
        let signed = absolute(reply.signed_url)
        let expires = URLComponents(string: signed)?.queryItems?.first { $0.name == "expires" }?.value
            .flatMap(TimeInterval.init).map(Date.init(timeIntervalSince1970:))
        // The seed's PUT headers: a ten-year cache lifetime.
        let headers = [
            RemoteSession.Header("Content-Type", mimeType),
            RemoteSession.Header("Cache-Control", "max-age=315360000"),
            RemoteSession.Header("Expires", Self.httpDate(Date().addingTimeInterval(315_360_000))),
        ]
        return RemoteSession(
            id: reply.final_url, filename: name, uploadURL: signed, uploadHeaders: headers,
            expiresAt: Self.expiry(declared: expires, url: signed))
    }

    // MARK: complete, cancel

    /// Completes (Lightfield, with the md5) or finalizes (Luw) the session.
    public func complete(_ session: RemoteSession, md5: String) async throws(EngineError) {
        switch profile.dialect {
        case .lightfield:
            let body = ByteBuffer(string: "{\"md5\":\"\(md5)\"}")
            _ = try await call("POST", "/v1/files/\(pathComponent(session.id))/complete", body: body, contentType: "application/json")
        case .luw:
            _ = try await call("GET", "/v2/finalize_upload?url=\(queryValue(session.id))")
        }
    }

    /// Cancels a pending session (Lightfield). Luw has no cancel call: its sweeper removes
    /// files never finalized, so this does nothing there.
    public func cancel(id: String) async throws(EngineError) {
        guard profile.dialect == .lightfield else { return }
        _ = try await call("POST", "/v1/files/\(pathComponent(id))/cancel", body: ByteBuffer(string: "{}"), contentType: "application/json")
    }

    // MARK: read

    /// The file's metadata (Lightfield).
    public func status(id: String) async throws(EngineError) -> RemoteFile {
        guard profile.dialect == .lightfield else { throw .profile("status needs the lightfield dialect") }
        return try await call("GET", "/v1/files/\(pathComponent(id))").decode(RemoteFile.self)
    }

    /// A signed download URL (Lightfield); Luw's final URL is already the download URL.
    public func downloadURL(id: String) async throws(EngineError) -> String {
        guard profile.dialect == .lightfield else { return id }
        struct Reply: Decodable { var url: String }
        return absolute(try await call("GET", "/v1/files/\(pathComponent(id))/url").decode(Reply.self).url)
    }

    /// The caller's files with `status`, newest first, stopping at the first one created before `since`.
    public func list(status: String, since: Date?) async throws(EngineError) -> [RemoteFile] {
        struct Page: Decodable { var data: [RemoteFile]; var nextCursor: String? }
        var files: [RemoteFile] = []
        var cursor: String?
        repeat {
            var path = "/v1/files?status=\(queryValue(status))&limit=200"
            if let cursor { path += "&cursor=\(queryValue(cursor))" }
            let page = try await call("GET", path).decode(Page.self)
            for file in page.data {
                if let since, let created = file.createdAt, created < since { return files }
                files.append(file)
            }
            cursor = page.nextCursor
        } while cursor != nil
        return files
    }

    // MARK: plumbing

    private func call(_ method: String, _ path: String, body: ByteBuffer? = nil, contentType: String? = nil) async throws(EngineError) -> HTTPTransport.Answer {
        var request = HTTPClientRequest(url: profile.endpoint + path)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Authorization", value: "Bearer \(key.secret)")
        if profile.dialect == .lightfield { request.headers.add(name: "Lightfield-Version", value: Self.lightfieldVersion) }
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let body { request.body = .bytes(body) }
        let answer = try await HTTPTransport.send(request, client: client)
        guard answer.isSuccess else { throw HTTPTransport.failure(answer) }
        return answer
    }

    /// Server-relative URLs (`/storage/...`) made absolute against the endpoint.
    func absolute(_ url: String) -> String { url.hasPrefix("/") ? profile.endpoint + url : url }

    private func pathComponent(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? text
    }

    private func queryValue(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["-", "_", ".", "~"])) ?? text
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

    static func httpDate(_ date: Date) -> String {
        date.formatted(Date.VerbatimFormatStyle(
            format: "\(weekday: .abbreviated), \(day: .twoDigits) \(month: .abbreviated) \(year: .defaultDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits) GMT",
            locale: Locale(identifier: "en_US_POSIX"), timeZone: .gmt, calendar: Calendar(identifier: .gregorian)))
    }
}

extension UploadAPI {
    /// Runs `body` with an API client over a fresh `HTTPClient`, shut down afterwards.
    /// For one-shot commands (`hoist status`); the engine keeps one client for its lifetime.
    public static func with<T: Sendable>(
        profile: Profile, key: APIKey, _ body: (UploadAPI) async throws(EngineError) -> T
    ) async throws(EngineError) -> T {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: HTTPTransport.clientConfiguration)
        let result: Result<T, EngineError>
        do { result = .success(try await body(UploadAPI(profile: profile, key: key, client: client))) } catch { result = .failure(error) }
        try? await client.shutdown()
        return try result.get()
    }
}
