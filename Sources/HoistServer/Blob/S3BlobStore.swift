import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SigV4

/// Bytes in an S3-compatible bucket: clients PUT them straight to presigned URLs, so they
/// never pass through hoist; the server HEADs, presigns GETs and DELETEs.
///
/// Each session has a key of its own (`PREFIX/uploads/SESSION-ID`), so that two sessions
/// for one name never write over each other and a PUT that lands late (after a cancel)
/// touches only its own session's key, which the sweeper deletes once the URL has expired.
struct S3BlobStore: Sendable {
    let location: S3Location
    let prefix: String
    let credentials: SigV4Credentials
    let client: HTTPClient

    init(_ blob: S3BlobLocation, credentials: SigV4Credentials) {
        location = S3Location(endpoint: blob.endpoint, bucket: blob.bucket, pathStyle: blob.pathStyle, region: blob.region)
        prefix = blob.prefix
        self.credentials = credentials
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// The key session `id`'s bytes are PUT to.
    func key(forSession id: String) -> String { prefix + "uploads/" + id }

    /// A presigned PUT of `key`, signed over `headers` (the client must send each with
    /// exactly that value: a `content-length` pins the size) and valid until `expires`.
    func presignedPUT(key: String, headers: [(String, String)], expires: Date, now: Date) throws -> String {
        try presign("PUT", key: key, query: [], headers: headers, expires: expires, now: now)
    }

    /// A presigned GET of `key` answered with `contentType` and, when given, `disposition`
    /// (S3's `response-*` parameters, covered by the signature).
    func presignedGET(key: String, contentType: String, disposition: String?, expires: Date, now: Date) throws -> String {
        var query: [SigV4QueryItem] = []
        if let disposition { query.append(SigV4QueryItem("response-content-disposition", disposition)) }
        query.append(SigV4QueryItem("response-content-type", contentType))
        return try presign("GET", key: key, query: query, headers: [], expires: expires, now: now)
    }

    private func presign(_ method: String, key: String, query: [SigV4QueryItem], headers: [(String, String)],
                         expires: Date, now: Date) throws -> String {
        let seconds = max(1, min(Int64(expires.timeIntervalSince(now).rounded(.down)), 604_800))
        let request = location.request(
            method, key: AWSPercentEncoding.encode(key, keepingSlashes: true), query: query,
            headers: headers.map { SigV4Header($0.0, $0.1) }, payload: .unsigned)
        do {
            return try location.signer(credentials).presign(request, expiresIn: .seconds(seconds), date: now).url
        } catch {
            throw BlobStoreError("cannot presign: \(error)")
        }
    }

    /// What a HEAD of an object says.
    struct Head: Sendable {
        var size: Int64
        /// The ETag without quotes, lower-case: the MD5 of a single PUT's bytes.
        var etag: String
        var contentType: String?
        var cacheControl: String?
        var expires: String?
        /// When the object was stored (`Last-Modified`).
        var lastModified: Date?
    }

    /// HEAD `key`: nil when there is no such object.
    func head(_ key: String) async throws -> Head? {
        let answer = try await send("HEAD", key: key)
        if answer.status == 404 { return nil }
        guard (200..<300).contains(answer.status) else { throw BlobStoreError("HEAD of \(key) answered \(answer.status)") }
        let headers = answer.headers
        guard let size = headers.first(name: "content-length").flatMap(Int64.init) else {
            throw BlobStoreError("HEAD of \(key) has no Content-Length")
        }
        let etag = (headers.first(name: "etag") ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "\"")).lowercased()
        return Head(size: size, etag: etag, contentType: headers.first(name: "content-type"),
                    cacheControl: headers.first(name: "cache-control"), expires: headers.first(name: "expires"),
                    lastModified: headers.first(name: "last-modified").flatMap(HTTPDate.parse))
    }

    /// DELETE `key` (S3 answers 204 whether or not it existed).
    func delete(_ key: String) async throws {
        let answer = try await send("DELETE", key: key)
        guard (200..<300).contains(answer.status) || answer.status == 404 else {
            throw BlobStoreError("DELETE of \(key) answered \(answer.status)")
        }
    }

    private func send(_ method: String, key: String) async throws -> (status: Int, headers: HTTPHeaders) {
        let unsigned = location.request(method, key: AWSPercentEncoding.encode(key, keepingSlashes: true), payload: .empty)
        let signed = location.signer(credentials).sign(unsigned, date: Date())
        var request = HTTPClientRequest(url: signed.url)
        request.method = .init(rawValue: method)
        for header in signed.headers { request.headers.add(name: header.name, value: header.value) }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .seconds(30))
        } catch {
            // Unreachable, refused, reset or silent for 30 s: the store is away, which is the
            // client's to retry, not a fault of this server's to log per request.
            throw APIError.blobStoreUnavailable()
        }
        // The body (an XML error, or nothing) is read and dropped so the connection is reused.
        _ = try? await response.body.collect(upTo: 64 << 10)
        let status = Int(response.status.code)
        // S3's 500 InternalError and 503 SlowDown ask for another try; a 4xx (a bad key, a
        // missing bucket) is this server's misconfiguration and stays an error it logs.
        if status >= 500 { throw APIError.blobStoreUnavailable() }
        return (status, response.headers)
    }

    func shutdown() async {
        try? await client.shutdown()
    }
}
