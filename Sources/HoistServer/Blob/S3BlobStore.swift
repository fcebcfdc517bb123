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
    /// Read at each signing: a server that runs for weeks follows the AWS files' renewed keys.
    let provider: AWSCredentialsProvider
    var credentials: SigV4Credentials { provider.current }
    let client: HTTPClient
    /// For copies, whose answers S3 keeps alive with spaces at intervals it does not
    /// document: silence is allowed longer there, 60 s (the AWS SDKs' read timeout).
    let copyClient: HTTPClient

    init(_ blob: S3BlobLocation, credentials: SigV4Credentials) {
        self.init(blob, provider: AWSCredentialsProvider(fixed: credentials))
    }

    init(_ blob: S3BlobLocation, provider: AWSCredentialsProvider) {
        location = S3Location(endpoint: blob.endpoint, bucket: blob.bucket, pathStyle: blob.pathStyle, region: blob.region)
        prefix = blob.prefix
        self.provider = provider
        client = Self.client(silence: .seconds(30))
        copyClient = Self.client(silence: .seconds(60))
    }

    /// Connections each of the store's two clients (requests, copies) keeps to the bucket's host.
    static let connectionsPerHost = 64

    /// A client that takes `silence` without a byte, head or body, as the store away. A
    /// request's deadline ends when the answer's head arrives, and S3 answers a long copy's
    /// head at once and its result minutes later.
    private static func client(silence: TimeAmount) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.timeout.read = silence
        // Completes, finalizes and sweeps of many sessions at once each HEAD, copy or DELETE:
        // with async-http-client's default of 8 connections to a host, a store slow to
        // answer (20 s) made every request behind the eighth wait 10 s for a connection and
        // fail, well before the 30 s a request may take.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = connectionsPerHost
        // A refused or unreachable store is retried (async-http-client's backoff) for this
        // long before the request fails with 503: 30 s held every request of a store that
        // was down for all of that. Ten seconds is the AWS Java SDK's connect timeout.
        configuration.timeout.connect = .seconds(10)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// The key session `id`'s bytes are PUT to.
    func key(forSession id: String) -> String { prefix + "uploads/" + id }

    /// A new key for the bytes of session `id` once they are made permanent
    /// (`PREFIX/objects/SESSION-ID.RANDOM`): no presigned URL ever names it, so no replayed
    /// upload URL can write there. Each copy gets its own, so that two finalizes racing each
    /// write only their own and the one recorded is never written again.
    func newSealedKey(forSession id: String) -> String { prefix + "objects/" + id + "." + RandomID.make(length: 12) }

    /// Whether `key` is a sealed copy's (``newSealedKey(forSession:)``): no session's upload URL names it.
    func isSealedKey(_ key: String) -> Bool { key.hasPrefix(prefix + "objects/") }

    /// Whether `key` is where a presigned upload URL of session `id` PUTs (not a sealed copy).
    func isUploadKey(_ key: String, ofSession id: String) -> Bool { key == self.key(forSession: id) }

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
        // Signed at the whole second SigV4 writes (X-Amz-Date), and valid from it for whole
        // seconds: the URL's end is `expires` itself when that is a whole second, where the
        // fraction of `now` dropped by the date made it end up to 2 s before the time given.
        let signedAt = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let seconds = max(1, min(Int64(expires.timeIntervalSince(signedAt).rounded(.down)), 604_800))
        let request = location.request(
            method, key: AWSPercentEncoding.encode(key, keepingSlashes: true), query: query,
            headers: headers.map { SigV4Header($0.0, $0.1) }, payload: .unsigned)
        do {
            return try location.signer(credentials).presign(request, expiresIn: .seconds(seconds), date: signedAt).url
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
        /// The answer says the object is encrypted with KMS or a customer's key, whose
        /// ETags are not the MD5 of its bytes.
        var encrypted = false
    }

    /// HEAD `key`: nil when there is no such object. A bucket that is not there is an error
    /// (this server's misconfiguration, logged), never "no bytes were uploaded".
    func head(_ key: String) async throws -> Head? {
        let answer = try await send("HEAD", key: key)
        if answer.status == 404 {
            // A HEAD's 404 has no body to say whether the key or the bucket is missing: the
            // bucket is asked (a request more, only where there is nothing to find anyway).
            if try await send("HEAD", key: nil).status == 404 { throw BlobStoreError("HEAD of \(key): no such bucket \(location.bucket)") }
            return nil
        }
        guard (200..<300).contains(answer.status) else { throw BlobStoreError("HEAD of \(key) answered \(answer.status)") }
        let headers = answer.headers
        guard let size = headers.first(name: "content-length").flatMap(Int64.init) else {
            throw BlobStoreError("HEAD of \(key) has no Content-Length")
        }
        let etag = (headers.first(name: "etag") ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "\"")).lowercased()
        let encryption = headers.first(name: "x-amz-server-side-encryption")?.lowercased() ?? ""
        return Head(size: size, etag: etag, contentType: headers.first(name: "content-type"),
                    cacheControl: headers.first(name: "cache-control"), expires: headers.first(name: "expires"),
                    lastModified: headers.first(name: "last-modified").flatMap(HTTPDate.parse),
                    encrypted: encryption.hasPrefix("aws:kms") || headers.contains(name: "x-amz-server-side-encryption-customer-algorithm"))
    }

    /// DELETE `key` (S3 answers 204 whether or not it existed). A 404 is taken as gone,
    /// unless it says the bucket is missing (`NoSuchBucket`): then nothing was deleted, and
    /// a DELETE the sweeper keeps on its list must stay there.
    func delete(_ key: String) async throws {
        let answer = try await send("DELETE", key: key)
        if answer.status == 404, S3XMLElement.root(of: answer.body)?.value("Code") == "NoSuchBucket" {
            throw BlobStoreError("DELETE of \(key): no such bucket")
        }
        guard (200..<300).contains(answer.status) || answer.status == 404 else {
            throw BlobStoreError("DELETE of \(key) answered \(answer.status)")
        }
    }

    /// What a server-side copy found.
    enum CopyOutcome: Sendable, Equatable {
        /// The copy holds the bytes whose ETag was asked for.
        case copied
        /// The source is gone or holds other bytes than those (a later PUT of its session):
        /// nothing usable was copied, and any copy made was deleted.
        case sourceChanged
    }

    /// Copies `source` to `destination` inside the bucket (S3's CopyObject: the bytes never
    /// leave it), provided the source still holds the bytes whose ETag is `etag`. S3 checks
    /// that itself (`x-amz-copy-source-if-match`, 412 otherwise). A copy whose ETag is
    /// another is checked against the source once more (a store that ignores the condition,
    /// as moto does, copied whatever was there; an encrypted bucket gives copies ETags of
    /// their own). S3 answers a copy's head at once and its result when done, and may report
    /// a failure inside that 200 (an `<Error>` document). `size` bounds the wait for the head.
    /// A copy that fails on the way (the store away, cut off) is deleted, as S3 may have
    /// made it: the key is new and nothing records it yet.
    func copy(_ source: String, to destination: String, etag: String, size: Int64) async throws -> CopyOutcome {
        do {
            return try await tryCopy(source, to: destination, etag: etag, size: size)
        } catch {
            try? await delete(destination)
            throw error
        }
    }

    private func tryCopy(_ source: String, to destination: String, etag: String, size: Int64) async throws -> CopyOutcome {
        let encodedSource = "/" + location.bucket + "/" + AWSPercentEncoding.encode(source, keepingSlashes: true)
        let answer = try await send(
            "PUT", key: destination,
            headers: [("x-amz-copy-source", encodedSource), ("x-amz-copy-source-if-match", "\"\(etag)\"")],
            timeout: .seconds(30 + max(0, size) / 20_000_000), via: copyClient)
        let document = S3XMLElement.root(of: answer.body)
        if answer.status == 412 { return .sourceChanged }
        if answer.status == 404 {
            // No such key: its bytes went. No such bucket: this server's misconfiguration.
            if document?.value("Code") == "NoSuchBucket" { throw BlobStoreError("copy of \(source): no such bucket") }
            return .sourceChanged
        }
        guard (200..<300).contains(answer.status) else { throw BlobStoreError("copy of \(source) answered \(answer.status)") }
        guard let document, document.name == "CopyObjectResult" else {
            let code = document?.value("Code")
            // S3's own words for "try again" inside a 200; anything else is an answer this
            // server cannot use, an error it logs.
            if let code, Self.tryAgainCodes.contains(code) { throw APIError.blobStoreUnavailable() }
            throw BlobStoreError("copy of \(source) answered 200 without a CopyObjectResult (\(code ?? "no code"))")
        }
        let copied = (document.value("ETag") ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "\"")).lowercased()
        if copied != etag.lowercased(), try await head(source)?.etag != etag.lowercased() {
            try? await delete(destination)
            return .sourceChanged
        }
        return .copied
    }

    /// Sends a signed request for `key` (nil: the bucket itself).
    private func send(_ method: String, key: String?, headers extra: [(String, String)] = [], timeout: TimeAmount = .seconds(30),
                      via chosen: HTTPClient? = nil) async throws -> (status: Int, headers: HTTPHeaders, body: Data) {
        let client = chosen ?? client
        let unsigned = location.request(method, key: key.map { AWSPercentEncoding.encode($0, keepingSlashes: true) },
                                        headers: extra.map { SigV4Header($0.0, $0.1) }, payload: .empty)
        let signed = location.signer(credentials).sign(unsigned, date: Date())
        var request = HTTPClientRequest(url: signed.url)
        request.method = .init(rawValue: method)
        // The signer returns what to add to the request's own headers, which go too.
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        for header in signed.headers { request.headers.add(name: header.name, value: header.value) }
        let response: HTTPClientResponse
        let body: Data
        do {
            response = try await client.execute(request, timeout: timeout)
            // The body (an answer document, an XML error, or nothing) is read whole, which
            // also lets the connection be reused.
            body = Data(try await response.body.collect(upTo: 1 << 20).readableBytesView)
        } catch {
            // Unreachable, refused, reset or silent past the deadline: the store is away,
            // which is the client's to retry, not a fault of this server's to log per request.
            throw APIError.blobStoreUnavailable()
        }
        let status = Int(response.status.code)
        // S3's 500 InternalError and 503 SlowDown ask for another try, and so do the 4xx
        // codes AWS's own tools retry (a request that timed out, an operation aborted by
        // another on the same key); any other 4xx (a bad key, a missing bucket) is this
        // server's misconfiguration and stays an error it logs.
        if status >= 500 { throw APIError.blobStoreUnavailable() }
        // A HEAD's error has no body to name its code: a 408, or a 409 (an operation on the
        // key in progress), is the store's word to try again.
        if status == 408 || (status == 409 && method == "HEAD") { throw APIError.blobStoreUnavailable() }
        if status >= 400, let code = S3XMLElement.root(of: body)?.value("Code"), Self.tryAgainCodes.contains(code) {
            throw APIError.blobStoreUnavailable()
        }
        return (status, response.headers, body)
    }

    /// S3 error codes that ask for the request again, whatever the status they come with
    /// (a copy's may come inside a `200`).
    static let tryAgainCodes: Set<String> = [
        "InternalError", "SlowDown", "ServiceUnavailable", "RequestTimeout", "OperationAborted", "ConditionalRequestConflict",
    ]

    func shutdown() async {
        try? await client.shutdown()
        try? await copyClient.shutdown()
    }
}
