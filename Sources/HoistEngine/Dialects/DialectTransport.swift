import SigV4
import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore

/// What a dialect calls its API with: the endpoint, the key, the shared `HTTPClient`, and
/// the dialect's own headers. Answers that are not 2xx become `EngineError`s (JSON or S3 XML).
public struct DialectTransport: Sendable {
    public let endpoint: String
    let key: APIKey
    let client: HTTPClient
    let headers: [(String, String)]
    /// How long each call may wait for its answer's head (its body is not held to it): the
    /// engine's calls a minute, a one-shot command's less (``UploadAPI/oneShotTimeout``).
    var timeout: TimeAmount = HTTPTransport.apiTimeout
    /// Told of each housekeeping call asked again (``BriefRetry``): a one-shot command's.
    var announceRetry: BriefRetry.Announce? = nil

    /// Calls `method path` on the endpoint with the bearer key; the answer, if 2xx.
    func call(_ method: String, _ path: String, body: ByteBuffer? = nil, contentType: String? = nil) async throws(EngineError) -> HTTPTransport.Answer {
        var request = HTTPClientRequest(url: endpoint + path)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Authorization", value: "Bearer \(key.secret)")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let body { request.body = .bytes(body) }
        let answer = try await HTTPTransport.send(request, client: client, timeout: timeout)
        guard answer.isSuccess else { throw HTTPTransport.failure(answer) }
        return answer
    }

    /// Sends a request the dialect built and signed itself (S3); the answer, if 2xx.
    func send(_ request: HTTPClientRequest) async throws(EngineError) -> HTTPTransport.Answer {
        let answer = try await HTTPTransport.send(request, client: client, timeout: timeout)
        guard answer.isSuccess else { throw HTTPTransport.failure(answer, url: request.url) }
        return answer
    }

    /// The MD5 (hex) of the body a request the dialect signed (an S3 GET) answers with,
    /// read as it streams in, in constant memory; the error answer otherwise.
    func md5OfBody(_ request: HTTPClientRequest) async throws(EngineError) -> String {
        do {
            let response = try await client.execute(request, timeout: timeout)
            guard (200..<300).contains(Int(response.status.code)) else {
                let body = try await response.body.collect(upTo: 64 << 10)
                throw HTTPTransport.failure(HTTPTransport.Answer(status: Int(response.status.code), body: body, headers: response.headers), url: request.url)
            }
            var md5 = Insecure.MD5()
            for try await chunk in response.body { chunk.withUnsafeReadableBytes { md5.update(bufferPointer: $0) } }
            return Hex.encode(md5.finalize())
        } catch {
            throw HTTPTransport.map(error, url: request.url)
        }
    }

    /// Returns once `url` serves a file: a GET of its first byte, following up to five
    /// redirects (a CDN's, or a server's to its bucket), answered 2xx, or 416 for an empty
    /// file (`Content-Range: bytes */0`). Any other answer is the error. A success's body is
    /// never read: a server that ignores Range would send the whole file.
    func probe(_ url: String) async throws(EngineError) {
        var current = url
        for _ in 0...5 {
            var request = HTTPClientRequest(url: current)
            request.headers.add(name: "Range", value: "bytes=0-0")
            let response: HTTPClientResponse
            do {
                response = try await client.execute(request, timeout: timeout)
            } catch {
                throw HTTPTransport.map(error, url: current)
            }
            let status = Int(response.status.code)
            if (200..<300).contains(status) { return }
            if status == 416, response.headers.first(name: "Content-Range")?.hasSuffix("/0") == true { return }
            if [301, 302, 303, 307, 308].contains(status), let location = response.headers.first(name: "Location"),
               let next = URL(string: location, relativeTo: URL(string: current))?.absoluteURL.absoluteString {
                current = next
                continue
            }
            let body = (try? await response.body.collect(upTo: 64 << 10)) ?? ByteBuffer()
            throw HTTPTransport.failure(HTTPTransport.Answer(status: status, body: body, headers: response.headers))
        }
        throw .protocolViolation("\(url) redirects more than five times")
    }

    /// The AWS credentials of the s3 dialect.
    var signingCredentials: SigV4Credentials? { key.signing }

    /// Server-relative URLs (`/storage/...`) made absolute against the endpoint.
    func absolute(_ url: String) -> String { url.hasPrefix("/") ? endpoint + url : url }

    /// `text` as one path segment.
    static func pathComponent(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? text
    }

    /// `text` as a query value.
    static func queryValue(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["-", "_", ".", "~"])) ?? text
    }
}
