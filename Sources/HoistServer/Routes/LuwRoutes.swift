import Foundation
import Hummingbird

/// The Luw dialect: `/v2/upload`, `/v2/finalize_upload` and the CDN-style final URLs.
struct LuwRoutes: Sendable {
    let state: ServerState

    func register(on router: Router<BasicRequestContext>) {
        let api = router.group("v2").add(middleware: DialectErrorMiddleware(dialect: .luw))
        api.post("upload") { request, _ in try await upload(request) }
        api.get("finalize_upload") { request, _ in try await finalize(request) }
        let cdn = router.group("cdn/luwai").add(middleware: DialectErrorMiddleware(dialect: .luw))
        cdn.get(":pid/:name") { request, context in
            try await serveFinal(request, context: context,
                                 pid: context.parameters.require("pid"), name: context.parameters.require("name"))
        }
    }

    /// The caller, who must hold `files:create` and have a persona.
    private func authorize(_ request: Request) async throws -> Caller {
        let caller = try await state.store.authenticate(request)
        try caller.require(Caller.create)
        guard !caller.personas.isEmpty else { throw APIError.noPersona() }
        return caller
    }

    private func upload(_ request: Request) async throws -> Response {
        let caller = try await authorize(request)
        let form = try LuwUploadForm.parse(try await collectForm(request), contentType: request.headers[.contentType])
        guard let rawName = form.filename, !rawName.isEmpty else { throw APIError.invalidRequest("filename is required") }
        let pid = try await persona(form.pid, caller: caller)
        let filename = try FileNames.sanitize(rawName)
        guard let mime = FileNames.luwTypes[FileNames.fileExtension(filename)] else { throw APIError.unsupportedType(filename) }
        let now = state.now()
        let id = SessionID.make(.luw)
        let session = SessionRecord(
            id: id, dialect: .luw, userId: caller.userId, purpose: nil, filename: filename,
            objectKey: "luwai/\(pid)/\(filename)", mimeType: mime, sizeBytes: nil, status: .pending, md5: nil,
            createdAt: now, completedAt: nil, expiresAt: StorageGate.urlEnd(from: now, lasting: state.config.sessionTTL), pid: pid,
            requiredHeaders: "")
        try await state.store.insertSession(session)
        state.metrics.upload(.created, dialect: .luw)
        let base = state.baseURL
        let signed = try state.blobs.uploadURL(for: session, headers: [])
        return try JSONBody.response(LuwUploadAnswer(
            status: true, signed_url: signed, final_url: "\(base)/cdn/luwai/\(pid)/\(filename.pathSegmentEncoded)"))
    }

    /// The persona to file under: the one asked for, which the caller must own, or the
    /// key's first.
    private func persona(_ raw: String?, caller: Caller) async throws -> Int64 {
        guard let raw = raw?.trimmingWhitespace(), !raw.isEmpty else { return caller.personas[0] }
        guard let pid = Int64(raw) else { throw APIError.invalidRequest("pid must be an integer") }
        guard try await state.store.personaOwner(pid) == caller.userId else {
            throw APIError.forbidden("persona \(pid) is not yours")
        }
        return pid
    }

    private func collectForm(_ request: Request) async throws -> ByteBuffer {
        try await JSONBody.collect(request, orThrow: .tooLarge("the form is larger than 1 MiB; send filename as a text field, not the file"))
    }

    private func finalize(_ request: Request) async throws -> Response {
        let caller = try await authorize(request)
        guard let url = try QueryParameters.single(request.uri.queryParameters)["url"],
              let key = Self.objectKey(finalURL: url, basePath: URLComponents(string: state.baseURL)?.percentEncodedPath ?? "")
        else {
            throw APIError.invalidRequest("url must be a final_url returned by /v2/upload")
        }
        try await state.blobs.settleLatest(objectKey: key, userId: caller.userId)
        if try await state.blobs.finalize(objectKey: key, userId: caller.userId, now: state.now()) {
            state.metrics.upload(.completed, dialect: .luw)
        }
        return try JSONBody.response(["status": true])
    }

    /// `luwai/<pid>/<name>` from a final URL as `/v2/upload` writes it: absolute (`http` or
    /// `https`, any host: a CDN's name may differ from the API's) or just its path, which is
    /// `basePath` (the path of `--public-url`, usually empty) then `/cdn/luwai/<pid>/<name>`,
    /// the pid written as a number is, with no query, fragment or empty segment. Nil for
    /// anything else: a URL that is not one handed out finalizes nothing.
    static func objectKey(finalURL: String, basePath: String = "") -> String? {
        guard let components = URLComponents(string: finalURL), components.percentEncodedQuery == nil,
              components.percentEncodedFragment == nil else { return nil }
        if let scheme = components.scheme {
            guard ["http", "https"].contains(scheme.lowercased()), components.host?.isEmpty == false else { return nil }
        } else {
            guard components.host == nil else { return nil }
        }
        var base = Substring(basePath)
        while base.hasSuffix("/") { base = base.dropLast() }
        let prefix = base + "/cdn/luwai/"
        guard components.percentEncodedPath.hasPrefix(prefix) else { return nil }
        let rest = components.percentEncodedPath.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        guard rest.count == 2, let pid = Int64(rest[0]), String(pid) == rest[0],
              let name = rest[1].removingPercentEncoding, FileNames.isPlain(name)
        else { return nil }
        return "luwai/\(pid)/\(name)"
    }

    /// Serves the object at a final URL, with the headers given on its PUT. Public, as a
    /// CDN is: the URL is the capability.
    private func serveFinal(_ request: Request, context: BasicRequestContext, pid: String, name: String) async throws -> Response {
        guard Int64(pid) != nil, let decoded = name.removingPercentEncoding, FileNames.isPlain(decoded) else { throw APIError.notFound() }
        let key = "luwai/\(pid)/\(decoded)"
        try await state.blobs.settleLatest(objectKey: key, userId: nil)
        guard let object = try await state.store.object(at: key) else { throw APIError.notFound() }
        // Served from here (disk): a conditional GET is answered here. With S3 the redirect's
        // target, the store itself, answers it.
        if state.disk != nil, let unchanged = ObjectResponse.notModified(object, request: request.headers, servesStoredHeaders: true) {
            return unchanged
        }
        return try await state.blobs.serveFinal(object, filename: decoded, request: request.headers)
    }
}

/// The answer to `POST /v2/upload`, in the seed's field names.
struct LuwUploadAnswer: Encodable {
    let status: Bool
    let signed_url: String
    let final_url: String
}
