import AsyncHTTPClient
import Foundation
import NIOCore

/// Where a bucket's objects are and how requests to them are signed: the endpoint, the
/// bucket in the host name or in the path, and the SigV4 signer for the region.
struct S3Location: Sendable {
    let scheme: String
    /// The endpoint's host, with its port when it is not the scheme's default.
    let endpointHost: String
    /// A path the endpoint itself has (`https://gw.example/s3`), without a trailing `/`.
    let basePath: String
    let bucket: String
    let pathStyle: Bool
    let region: String

    init(profile: Profile) {
        let settings = profile.s3 ?? S3Settings(bucket: "")
        let request = URL(string: profile.endpoint).flatMap { SigV4Request(method: "GET", url: $0) }
        scheme = request?.scheme ?? "https"
        endpointHost = request?.host ?? profile.endpoint
        if case .raw(let path)? = request?.path, path != "/" {
            basePath = path.hasSuffix("/") ? String(path.dropLast()) : path
        } else {
            basePath = ""
        }
        bucket = settings.bucket
        // A bucket name with dots cannot be a virtual host under TLS (the certificate's
        // wildcard covers one label), so it goes in the path, as the AWS CLI does.
        pathStyle = settings.pathStyle || (scheme == "https" && settings.bucket.contains("."))
        region = settings.region ?? "us-east-1"
    }

    /// The request for `key` (nil: the bucket itself), before signing.
    func request(_ method: String, key: String?, query: [SigV4QueryItem] = [], headers: [SigV4Header] = [],
                 payload: SigV4Payload = .empty) -> SigV4Request {
        let objectPath = key.map { "/" + $0 } ?? ""
        if pathStyle {
            return SigV4Request(method: method, scheme: scheme, host: endpointHost, path: .raw(basePath + "/" + bucket + objectPath),
                                queryItems: query, headers: headers, payload: payload)
        }
        return SigV4Request(method: method, scheme: scheme, host: bucket + "." + endpointHost,
                            path: .raw(basePath + (objectPath.isEmpty ? "/" : objectPath)),
                            queryItems: query, headers: headers, payload: payload)
    }

    /// The unsigned URL of `key`, for display and as a session's `uploadURL`.
    func url(of key: String) -> String {
        SigV4Signer.url(request("GET", key: key), query: [])
    }

    func signer(_ credentials: SigV4Credentials) -> SigV4Signer {
        SigV4Signer(credentials: credentials, region: region)
    }
}

/// S3 calls over a dialect's transport: built, signed in the headers as of now, sent.
struct S3Call {
    let location: S3Location
    let transport: DialectTransport

    private var credentials: SigV4Credentials {
        get throws(EngineError) {
            guard let credentials = transport.signingCredentials else { throw .missingCredentials("no AWS credentials for the s3 dialect") }
            return credentials
        }
    }

    /// Sends `method` on `key` (nil: the bucket) with `query`, `headers` and `body`.
    func send(_ method: String, key: String?, query: [SigV4QueryItem] = [], headers: [SigV4Header] = [],
              body: ByteBuffer? = nil) async throws(EngineError) -> HTTPTransport.Answer {
        let payload: SigV4Payload = body.map { SigV4Payload.hashing(Array($0.readableBytesView)) } ?? .empty
        let unsigned = location.request(method, key: key, query: query, headers: headers, payload: payload)
        let signed = location.signer(try credentials).sign(unsigned, date: Date())
        var request = HTTPClientRequest(url: signed.url)
        request.method = .init(rawValue: method)
        for header in headers + signed.headers { request.headers.add(name: header.name, value: header.value) }
        if let body { request.body = .bytes(body) }
        return try await transport.send(request)
    }

    /// A PUT's target, signed in its headers now: valid for 15 minutes from now, as S3
    /// allows header signatures, and signed again for every attempt.
    func putTarget(key: String, query: [SigV4QueryItem], headers: [SigV4Header]) throws(EngineError) -> PutTarget {
        let unsigned = location.request("PUT", key: key, query: query, headers: headers, payload: .unsigned)
        let signed = location.signer(try credentials).sign(unsigned, date: Date())
        return PutTarget(url: signed.url, headers: (headers + signed.headers).map { RemoteSession.Header($0.name, $0.value) })
    }

    /// A presigned GET of `key`, valid for `expiresIn`.
    func presignedGET(key: String, expiresIn: Duration) throws(EngineError) -> String {
        let signer = location.signer(try credentials)
        do {
            return try signer.presign(location.request("GET", key: key, payload: .unsigned), expiresIn: expiresIn, date: Date()).url
        } catch {
            throw .profile(error.message)
        }
    }
}
