import Foundation
import Hummingbird
import HTTPTypes

/// The signed URLs: PUT stores a body, GET serves a completed file. Errors are answered in
/// the dialect of the session the URL belongs to.
struct StorageRoutes: Sendable {
    let state: ServerState
    var gate: StorageGate { StorageGate(signer: state.signer, unsizedLimit: Self.unsizedLimit(state.config)) }

    func register(on router: Router<BasicRequestContext>) {
        // Timed by `MetricsMiddleware`, with the status the client got.
        router.put("storage/:id/:name") { request, context in
            try await inDialect(request, context) { target in try await put(request, target: target) }
        }
        router.get("storage/:id/:name") { request, context in
            try await inDialect(request, context) { target in try await get(request, target: target) }
        }
    }

    private func inDialect(_ request: Request, _ context: BasicRequestContext,
                           _ body: (StorageGate.Target) async throws -> Response) async throws -> Response {
        let id = try context.parameters.require("id")
        let dialect = SessionID.dialect(of: id)
        do {
            let query = try QueryParameters.single(request.uri.queryParameters)
            guard let target = StorageGate.Target(
                sessionId: id, encodedName: try context.parameters.require("name"), query: query)
            else { throw APIError.signatureMismatch() }
            return try await body(target)
        } catch let error as APIError {
            throw DialectError(error: error, dialect: dialect)
        }
    }

    /// Streams the body to a temporary file (MD5 in the same pass), or holds it when it is
    /// small enough for the metadata store to keep (`BodySink`), and makes it the session's
    /// object only once it is whole; anything else leaves no trace.
    private func put(_ request: Request, target: StorageGate.Target) async throws -> Response {
        // With an S3 blob store no URL here is ever handed out.
        guard let disk = state.disk else { throw APIError.notFound() }
        let now = state.now()
        let session = try await state.store.session(id: target.sessionId, now: now)
        try gate.check(method: .put, target: target, headers: request.headers, session: session, now: now)
        guard let session else { throw APIError.notFound() }
        try Self.checkStoredHeaders(request.headers)
        // A tag list names the bytes there now (RFC 9110 §13.1.2); `*` is held to again in the
        // store's transaction, where no PUT can slip in between.
        if request.headers[.ifNoneMatch] != nil, let existing = try await state.store.object(at: session.objectKey),
           ObjectResponse.noneMatchNames(existing, request.headers) {
            throw APIError.preconditionFailed()
        }
        let limit = session.sizeBytes ?? Self.unsizedLimit(state.config) ?? Int64.max
        // Tracked as streaming to the session while it reads and stores: a cancel cuts it off.
        let stored = try await state.inflight.streaming(session.id) { doneReading in
            try await receive(request, session: session, disk: disk, limit: limit, doneReading: doneReading)
        }
        await state.blobs.delete([stored.replaced])
        var headers = HTTPFields()
        headers[.eTag] = "\"\(stored.md5)\""
        return Response(status: .ok, headers: headers)
    }

    /// Reads a PUT's body into a sink and stores it as the session's object once it is
    /// whole: its MD5, and the blob it replaced (to delete). A cancel of the session while
    /// it reads ends it with 409 `not_pending`, its bytes discarded; `doneReading` (see
    /// ``InflightUploads/streaming(_:_:)``) ends that.
    private func receive(_ request: Request, session: SessionRecord, disk: DiskBlobStore, limit: Int64,
                         doneReading: () -> Bool) async throws -> (md5: String, replaced: String?)
    {
        let sink = try BodySink(disk: disk, smallLimit: state.store.smallBodyLimit,
                                declaredLength: request.headers[.contentLength].flatMap { Int64($0) }, budget: state.heldBodies)
        // The sink's reservation covers the kept bytes until their commit is done, not
        // only until the sink's last use.
        defer { withExtendedLifetime(sink) {} }
        do {
            for try await buffer in request.body {
                if state.inflight.isCancelled(session.id) { throw APIError.notPending(SessionStatus.cancelled.rawValue) }
                state.metrics.received(bytes: buffer.readableBytes)
                guard sink.count + Int64(buffer.readableBytes) <= limit else { throw APIError.bodyTooLarge(limit: limit) }
                try await sink.write(buffer)
            }
            // A cancel also ends a read that waited for bytes: the body looks whole, or the
            // read throws, and the flag says why.
            if doneReading() { throw APIError.notPending(SessionStatus.cancelled.rawValue) }
        } catch {
            sink.abort()
            if doneReading() { throw APIError.notPending(SessionStatus.cancelled.rawValue) }
            // The watchdog fails a body that stopped arriving; its client may still read a 408.
            if error is RequestTimeout { throw APIError.requestTimeout() }
            throw error
        }
        let (blobId, md5, bytes) = try await sink.finish()
        let body = StoredBody(
            blobId: blobId, size: sink.count, md5: md5,
            contentType: contentType(request, session: session),
            cacheControl: request.headers[.cacheControl], expiresHeader: request.headers[.expires], bytes: bytes)
        do {
            let replaced = try await state.store.storeUpload(
                sessionId: session.id, body: body, requireAbsent: state.config.purposes.requiresFreeName(session) || Self.onlyIfAbsent(request.headers),
                acceptingExpired: false,
                keepingNewer: false, now: state.now())
            return (md5, replaced)
        } catch {
            disk.delete(body.blobId)
            throw error
        }
    }

    /// `If-None-Match: *` on a PUT (S3's conditional write, RFC 9110 §13.1.2): store only
    /// where no bytes are yet (the session's own, or for Luw the name's), else 412. (A list
    /// of ETags is 412 when it names the bytes there: see `put`.)
    static func onlyIfAbsent(_ headers: HTTPFields) -> Bool {
        headers[values: .ifNoneMatch].contains { $0.trimmingWhitespace() == "*" }
    }

    /// The most a session created without a size (Luw's) may receive: the `general` purpose's limit.
    static func unsizedLimit(_ config: ServerConfiguration) -> Int64? { config.purposes.rules["general"]?.maxBytes }

    /// The headers a PUT stores are served back as they came, so they must be text: bytes
    /// that are not UTF-8 reach the server as U+FFFD and would be served back changed.
    static func checkStoredHeaders(_ headers: HTTPFields) throws(APIError) {
        for name in [HTTPField.Name.contentType, .cacheControl, .expires] where headers[values: name].contains(where: { $0.contains("\u{FFFD}") }) {
            throw .invalidRequest("the \(name.canonicalName) header is not valid UTF-8")
        }
    }

    /// Lightfield types are fixed at creation; Luw stores what the PUT says, or the type
    /// the extension implies when a browser sent none.
    private func contentType(_ request: Request, session: SessionRecord) -> String {
        guard session.dialect == .luw else { return session.mimeType }
        let sent = request.headers[.contentType]?.trimmingWhitespace() ?? ""
        return sent.isEmpty ? session.mimeType : sent
    }

    private func get(_ request: Request, target: StorageGate.Target) async throws -> Response {
        guard let disk = state.disk else { throw APIError.notFound() }
        let now = state.now()
        let session = try await state.store.session(id: target.sessionId, now: now)
        try gate.check(method: .get, target: target, headers: [:], session: session, now: now)
        guard let session, session.status == .completed,
              let object = try await state.store.object(at: session.objectKey), object.sessionId == session.id
        else { throw APIError.notFound() }
        if let unchanged = ObjectResponse.notModified(object, request: request.headers) { return unchanged }
        return try await ObjectResponse.make(object, filename: session.filename, blobs: disk, store: state.store, request: request.headers)
    }
}
