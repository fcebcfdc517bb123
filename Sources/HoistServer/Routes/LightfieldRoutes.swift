import Foundation
import HTTPTypes
import Hummingbird
import SigV4

/// The Lightfield dialect: `/v1/files` and its lifecycle.
struct LightfieldRoutes: Sendable {
    let state: ServerState

    func register(on router: Router<BasicRequestContext>) {
        let files = router.group("v1/files").add(middleware: DialectErrorMiddleware(dialect: .lightfield))
        files.post { request, _ in try await create(request) }
        files.get { request, _ in try await list(request) }
        files.get(":id") { request, context in try await metadata(request, id: context.parameters.require("id")) }
        files.get(":id/url") { request, context in try await downloadURL(request, id: context.parameters.require("id")) }
        files.post(":id/complete") { request, context in try await complete(request, id: context.parameters.require("id")) }
        files.post(":id/cancel") { request, context in try await cancel(request, id: context.parameters.require("id")) }
    }

    /// Authenticates, then checks the version header, then the scope: API.md checks
    /// scopes before any lookup.
    private func authorize(_ request: Request, scope: String) async throws -> Caller {
        let caller = try await state.store.authenticate(request)
        let version = request.headers[.lightfieldVersion]
        guard version == LightfieldVersion.current else { throw APIError.invalidVersion(version) }
        try caller.require(scope)
        return caller
    }

    private func create(_ request: Request) async throws -> Response {
        let caller = try await authorize(request, scope: Caller.create)
        let spec = try CreateFileSpec(json: try await JSONBody.data(from: request, integers: ["sizeBytes"]), policy: state.config.purposes, caller: caller)
        let now = state.now()
        let id = SessionID.make(.lightfield)
        var headers = [("content-type", spec.mimeType)]
        // Knowledge names are never overwritten; on S3 no session's key takes a second PUT,
        // so a completed upload's URL, which S3 keeps honouring until it expires, replaces nothing.
        if spec.rule.isKnowledge || state.blobs.refusesSecondPUT { headers.append(("if-none-match", "*")) }
        let requiredHeaders = headers.map { "\($0.0):\($0.1)" }.joined(separator: "\n")
        let ttl = state.config.sessionTTL
        /// The session, its name stamped `later` milliseconds after its create where it is a knowledge upload.
        @Sendable func record(stampedLater later: Int64) -> SessionRecord {
            let stored = spec.rule.isKnowledge
                ? FileNames.stamp(spec.filename, millis: Int64(now.timeIntervalSince1970 * 1000) + later) : spec.filename
            let objectKey: String
            switch (spec.rule.isKnowledge, spec.rule.isShared) {
            case (true, true): objectKey = "\(spec.purpose)/\(stored)"
            case (true, false): objectKey = "\(spec.purpose)/\(caller.userId)/\(stored)"
            default: objectKey = "files/\(id)"
            }
            return SessionRecord(
                id: id, dialect: .lightfield, userId: caller.userId, purpose: spec.purpose, filename: stored,
                objectKey: objectKey, mimeType: spec.mimeType, sizeBytes: spec.sizeBytes, status: .pending, md5: nil,
                createdAt: now, completedAt: nil, expiresAt: StorageGate.urlEnd(from: now, lasting: ttl), pid: nil,
                requiredHeaders: requiredHeaders)
        }
        let session: SessionRecord
        if spec.rule.isKnowledge {
            session = try await state.store.insertStampedSession(record(stampedLater:))
        } else {
            session = record(stampedLater: 0)
            try await state.store.insertSession(session)
        }
        state.metrics.upload(.created, dialect: .lightfield)
        let url = try state.blobs.uploadURL(for: session, headers: headers)
        return try JSONBody.response(CreatedFile(session: session, uploadURL: url))
    }

    private func list(_ request: Request) async throws -> Response {
        let caller = try await authorize(request, scope: Caller.read)
        let query = try QueryParameters.single(request.uri.queryParameters)
        var status: SessionStatus?
        if let raw = query["status"] {
            guard let parsed = SessionStatus(rawValue: raw) else {
                throw APIError.invalidRequest("status must be PENDING, COMPLETED, CANCELLED or EXPIRED")
            }
            status = parsed
        }
        var limit = 50
        if let raw = query["limit"] {
            guard let parsed = Int(raw), (1...1000).contains(parsed) else {
                throw APIError.invalidRequest("limit must be an integer from 1 to 1000")
            }
            limit = parsed
        }
        var cursor: ListCursor?
        if let raw = query["cursor"] {
            guard let parsed = ListCursor(token: raw) else { throw APIError.invalidRequest("cursor is not valid") }
            cursor = parsed
        }
        let rows = try await state.store.listFiles(
            userId: caller.userId, status: status, limit: limit + 1, after: cursor, now: state.now())
        let page = Array(rows.prefix(limit))
        let next = rows.count > limit ? page.last.map { ListCursor(createdAt: $0.createdAt, id: $0.id).token } : nil
        return try JSONBody.response(FileList(data: page.map(FileMetadata.init), nextCursor: next))
    }

    /// The session `id` if `caller` may see it; another user's file is "not found".
    private func visibleSession(_ id: String, caller: Caller, reading: Bool) async throws -> SessionRecord {
        guard let session = try await state.store.session(id: id, now: state.now()), session.dialect == .lightfield else {
            throw APIError.notFound()
        }
        let shared = reading && (session.purpose.flatMap { state.config.purposes.rules[$0]?.isShared } ?? false)
        guard session.userId == caller.userId || shared else { throw APIError.notFound() }
        return session
    }

    private func metadata(_ request: Request, id: String) async throws -> Response {
        let caller = try await authorize(request, scope: Caller.read)
        return try JSONBody.response(FileMetadata(try await visibleSession(id, caller: caller, reading: true)))
    }

    private func downloadURL(_ request: Request, id: String) async throws -> Response {
        let caller = try await authorize(request, scope: Caller.read)
        let session = try await visibleSession(id, caller: caller, reading: true)
        guard session.status == .completed else { throw APIError.notCompleted(session.status.rawValue) }
        let expires = StorageGate.urlEnd(from: state.now(), lasting: state.config.downloadTTL)
        guard let object = try await state.store.object(at: session.objectKey), object.sessionId == id else { throw APIError.notFound() }
        let url = try state.blobs.downloadURL(for: session, object: object, expires: expires)
        return try JSONBody.response(DownloadURL(url: url, expiresAt: Timestamp.string(expires)))
    }

    private func complete(_ request: Request, id: String) async throws -> Response {
        let caller = try await authorize(request, scope: Caller.create)
        let body = try await JSONBody.object(from: request, allowEmpty: true)
        var md5: String?
        if let raw = body["md5"], !(raw is NSNull) {
            guard let text = raw as? String, Hex.isDigits(text, count: 32) else {
                throw APIError.invalidRequest("md5 must be 32 hexadecimal digits")
            }
            md5 = text.lowercased()
        }
        let session = try await visibleSession(id, caller: caller, reading: false)
        try await state.blobs.settle(session)
        let marking = state.blobs.reusesBlobIDs
        switch try await state.store.complete(id: id, md5: md5, now: state.now(), markingDiscards: marking) {
        case .completed(let session, let fresh):
            if fresh { state.metrics.upload(.completed, dialect: .lightfield) }
            return try JSONBody.response(FileMetadata(session))
        case .rejected(let error, let discarded?) where marking:
            // The mark goes once the bytes have (a failed DELETE keeps it: the sweep deletes
            // both later); the key is then free for the session's next PUT and complete.
            if await state.blobs.deleteOne(discarded) {
                try? await state.store.dropDiscarded(objectKey: session.objectKey, sessionId: id, blobId: discarded)
            }
            throw error
        case .rejected(let error, let discarded):
            await state.blobs.delete([discarded])
            throw error
        }
    }

    private func cancel(_ request: Request, id: String) async throws -> Response {
        let caller = try await authorize(request, scope: Caller.create)
        _ = try await visibleSession(id, caller: caller, reading: false)
        let (session, blob) = try await state.store.cancel(id: id, now: state.now())
        state.inflight.cancel(id)
        await state.blobs.delete([blob])
        await state.blobs.discard(session: id)
        state.metrics.upload(.cancelled, dialect: .lightfield)
        return try JSONBody.response(FileMetadata(session))
    }
}

extension HTTPField.Name {
    static let lightfieldVersion: HTTPField.Name = {
        guard let name = HTTPField.Name("Lightfield-Version") else { preconditionFailure("a valid header name") }
        return name
    }()
}
