import Foundation
import NIOCore

/// Lightfield: `POST /v1/files` → PUT → `POST /v1/files/{id}/complete` (with the md5);
/// sessions can be cancelled, read back and listed.
struct LightfieldDialect: UploadDialect {
    static let version = "2026-03-01"
    let profile: Profile

    /// Files are named, not placed: only the last component of the path counts.
    func requestedName(for localName: String) -> String { (localName as NSString).lastPathComponent }

    /// Empty files, and the purpose's MIME types and size limit (unknown purposes pass).
    func refusal(name: String, size: Int64, mimeType: String, rules: UploadRules) -> EngineError? {
        if size <= 0 { return .emptyFile(name) }
        let purpose = profile.effectivePurpose
        guard let rule = rules.purposes[purpose] else { return nil }
        if let allowed = rule.mimeTypes, !allowed.contains(mimeType) { return .mimeNotAllowed(mimeType, purpose: purpose) }
        if size > rule.maxBytes { return .tooLarge(size: size, limit: rule.maxBytes, purpose: purpose) }
        return nil
    }

    var optionsSummary: String { "purpose \(profile.effectivePurpose)" }

    var callHeaders: [(String, String)] { [("Lightfield-Version", Self.version)] }

    func createSession(name: String, size: Int64, mimeType: String, via api: DialectTransport) async throws(EngineError) -> RemoteSession {
        struct Body: Encodable { var purpose: String; var filename: String; var mimeType: String; var sizeBytes: Int64 }
        struct Reply: Decodable {
            var id: String; var filename: String; var uploadUrl: String
            var uploadHeaders: [String: String]?; var expiresAt: Date?
        }
        let body = Body(purpose: profile.effectivePurpose, filename: name, mimeType: mimeType, sizeBytes: size)
        let data = (try? JSONEncoder().encode(body)) ?? Data()
        let answer = try await api.call("POST", "/v1/files", body: ByteBuffer(bytes: data), contentType: "application/json")
        let reply = try answer.decode(Reply.self)
        let headers = (reply.uploadHeaders ?? [:]).sorted { $0.key < $1.key }.map { RemoteSession.Header($0.key, $0.value) }
        let url = api.absolute(reply.uploadUrl)
        return RemoteSession(
            id: reply.id, filename: reply.filename, uploadURL: url, uploadHeaders: headers,
            expiresAt: UploadAPI.expiry(declared: reply.expiresAt, url: url))
    }

    func complete(_ session: RemoteSession, md5: String, via api: DialectTransport) async throws(EngineError) {
        let body = ByteBuffer(string: "{\"md5\":\"\(md5)\"}")
        _ = try await api.call(
            "POST", "/v1/files/\(DialectTransport.pathComponent(session.id))/complete", body: body, contentType: "application/json")
    }

    var cancelsSessions: Bool { true }

    func cancel(id: String, via api: DialectTransport) async throws(EngineError) {
        _ = try await api.call(
            "POST", "/v1/files/\(DialectTransport.pathComponent(id))/cancel", body: ByteBuffer(string: "{}"), contentType: "application/json")
    }

    func status(id: String, via api: DialectTransport) async throws(EngineError) -> RemoteFile {
        try await api.call("GET", "/v1/files/\(DialectTransport.pathComponent(id))").decode(RemoteFile.self)
    }

    func downloadURL(id: String, via api: DialectTransport) async throws(EngineError) -> String {
        struct Reply: Decodable { var url: String }
        return api.absolute(try await api.call("GET", "/v1/files/\(DialectTransport.pathComponent(id))/url").decode(Reply.self).url)
    }

    func list(status: String, since: Date?, named: String?, via api: DialectTransport) async throws(EngineError) -> [RemoteFile] {
        struct Page: Decodable { var data: [RemoteFile]; var nextCursor: String? }
        var files: [RemoteFile] = []
        var cursor: String?
        repeat {
            var path = "/v1/files?status=\(DialectTransport.queryValue(status))&limit=200"
            if let cursor { path += "&cursor=\(DialectTransport.queryValue(cursor))" }
            let page = try await api.call("GET", path).decode(Page.self)
            for file in page.data {
                if let since, let created = file.createdAt, created < since { return files }
                files.append(file)
            }
            cursor = page.nextCursor
        } while cursor != nil
        return files
    }
}
