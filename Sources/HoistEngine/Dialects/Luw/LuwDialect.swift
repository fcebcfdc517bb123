import Foundation
import SigV4

/// Luw: `POST /v2/upload` (a form) → PUT → `GET /v2/finalize_upload`. The final URL is the
/// file's id and its download URL; there is no cancel, status or list call (the service's
/// sweeper removes files never finalized).
struct LuwDialect: UploadDialect {
    let profile: Profile

    /// Temporary uploads are stored `x12tmp-` prefixed.
    func requestedName(for localPath: String) -> String {
        let localName = (localPath as NSString).lastPathComponent
        return profile.temporary && !localName.hasPrefix("x12tmp-") ? "x12tmp-" + localName : localName
    }

    /// Empty files, and extensions Luw does not take.
    func refusal(name: String, size: Int64, mimeType: String, rules: UploadRules) -> EngineError? {
        if size <= 0 { return .emptyFile(name) }
        guard rules.luwExtensions.contains(MIMEType.fileExtension(of: name)) else {
            return .unsupportedType(name, supported: rules.luwExtensions.sorted().joined(separator: ", "))
        }
        return nil
    }

    var optionsSummary: String {
        [profile.pid.map { "pid \($0)" }, profile.temporary ? "temporary" : nil].compactMap { $0 }.joined(separator: ", ")
    }

    var callHeaders: [(String, String)] { [] }

    func createSession(name: String, size: Int64, mimeType: String, via api: DialectTransport) async throws(EngineError) -> RemoteSession {
        struct Reply: Decodable { var status: Bool; var signed_url: String; var final_url: String }
        let name = requestedName(for: name)
        var form = MultipartForm()
        form.add("filename", name)
        if let pid = profile.pid { form.add("pid", String(pid)) }
        let answer = try await api.call("POST", "/v2/upload", body: form.body(), contentType: form.contentType)
        let reply = try answer.decode(Reply.self)
        let signed = api.absolute(reply.signed_url)
        let expires = URLComponents(string: signed)?.queryItems?.first { $0.name == "expires" }?.value
            .flatMap(TimeInterval.init).map(Date.init(timeIntervalSince1970:))
        // The seed's PUT headers: a ten-year cache lifetime.
        let headers = [
            RemoteSession.Header("Content-Type", mimeType),
            RemoteSession.Header("Cache-Control", "max-age=315360000"),
            RemoteSession.Header("Expires", HTTPDate.format(Date().addingTimeInterval(315_360_000))),
        ]
        return RemoteSession(
            id: reply.final_url, filename: name, uploadURL: signed, uploadHeaders: headers,
            expiresAt: UploadAPI.expiry(declared: expires, url: signed))
    }

    func complete(_ session: RemoteSession, md5: String, via api: DialectTransport) async throws(EngineError) {
        _ = try await api.call("GET", "/v2/finalize_upload?url=\(DialectTransport.queryValue(session.id))")
    }

    var cancelsSessions: Bool { false }

    func cancel(id: String, via api: DialectTransport) async throws(EngineError) {}

    func status(id: String, via api: DialectTransport) async throws(EngineError) -> RemoteFile {
        throw .profile("status needs the lightfield dialect")
    }

    /// The final URL is the download URL, printed once it serves the file (``DialectTransport/probe(_:)``).
    /// Luw has no call that names a file otherwise, and its CDN need not be the API's host,
    /// so anything but an http(s) URL is the command line's error.
    func downloadURL(id: String, via api: DialectTransport) async throws(EngineError) -> String {
        let url = api.absolute(id)
        guard let scheme = URLComponents(string: url)?.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw .profile("Luw names a file by the final URL its upload printed (https://...), not \(id)")
        }
        try await api.probe(url)
        return url
    }

    func list(status: String, since: Date?, named: String?, via api: DialectTransport) async throws(EngineError) -> [RemoteFile] {
        throw .profile("listing needs the lightfield dialect")
    }
}
