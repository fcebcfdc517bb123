import SigV4
import AsyncHTTPClient
import Foundation
import NIOCore

extension S3Location {
    /// The profile's bucket, endpoint, addressing and region.
    init(profile: Profile) {
        let settings = profile.s3 ?? S3Settings(bucket: "")
        self.init(endpoint: profile.endpoint, bucket: settings.bucket, pathStyle: settings.pathStyle,
                  region: settings.region ?? "us-east-1")
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

    /// Sends `method` on `key` (nil: the bucket) with `query`, `headers` and `body`. A
    /// refusal of this machine's clock (``S3ClockSkew``) is signed again and sent once more.
    func send(_ method: String, key: String?, query: [SigV4QueryItem] = [], headers: [SigV4Header] = [],
              body: ByteBuffer? = nil) async throws(EngineError) -> HTTPTransport.Answer {
        let payload: SigV4Payload = body.map { SigV4Payload.hashing(Array($0.readableBytesView)) } ?? .empty
        return try await signed(location.request(method, key: key, query: query, headers: headers, payload: payload),
                                method: method, headers: headers, body: body) { request throws(EngineError) in
            try await transport.send(request)
        }
    }

    /// The MD5 of the object at `key`, read back whole (a GET streamed through MD5).
    func md5(ofObject key: String) async throws(EngineError) -> String {
        try await signed(location.request("GET", key: key, payload: .empty), method: "GET") { request throws(EngineError) in
            try await transport.md5OfBody(request)
        }
    }

    /// `unsigned`, signed as of now and handed to `perform`; signed again and performed once
    /// more when the store refuses this machine's clock (``S3ClockSkew``). An expired
    /// signature or token comes back as one worth signing again (`signedAgain`).
    private func signed<T>(_ unsigned: SigV4Request, method: String, headers: [SigV4Header] = [], body: ByteBuffer? = nil,
                           _ perform: (HTTPClientRequest) async throws(EngineError) -> T) async throws(EngineError) -> T {
        var attempt = 0
        while true {
            attempt += 1
            let signed = location.signer(try credentials).sign(unsigned, date: S3ClockSkew.now(host: unsigned.host))
            var request = HTTPClientRequest(url: signed.url)
            request.method = .init(rawValue: method)
            for header in headers + signed.headers { request.headers.add(name: header.name, value: header.value) }
            if let body { request.body = .bytes(body) }
            do {
                return try await perform(request)
            } catch where error.serverCode == S3ClockSkew.refusalCode && attempt == 1 {
                continue
            } catch {
                throw error.signedAgain
            }
        }
    }

    /// A PUT's target, signed in its headers now: valid for 15 minutes from now, as S3
    /// allows header signatures, and signed again for every attempt.
    func putTarget(key: String, query: [SigV4QueryItem], headers: [SigV4Header]) throws(EngineError) -> PutTarget {
        let unsigned = location.request("PUT", key: key, query: query, headers: headers, payload: .unsigned)
        let signed = location.signer(try credentials).sign(unsigned, date: S3ClockSkew.now(host: unsigned.host))
        return PutTarget(url: signed.url, headers: (headers + signed.headers).map { RemoteSession.Header($0.name, $0.value) })
    }

    /// A presigned GET of `key`, valid for `expiresIn`.
    func presignedGET(key: String, expiresIn: Duration) throws(EngineError) -> String {
        let signer = location.signer(try credentials)
        do {
            let unsigned = location.request("GET", key: key, payload: .unsigned)
            return try signer.presign(unsigned, expiresIn: expiresIn, date: S3ClockSkew.now(host: unsigned.host)).url
        } catch {
            throw .profile(error.message)
        }
    }
}
