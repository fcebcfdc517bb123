import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP exchange as a test sees it.
public struct HTTPResult: Sendable {
    public let status: Int
    public let headers: HTTPHeaders
    public let body: Data

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as a JSON object (empty when it is not one).
    public var json: [String: Any] {
        ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:]
    }

    /// `json[key]` as a string.
    public func string(_ key: String) -> String? { json[key] as? String }

    /// The error code in either dialect's shape.
    public var errorCode: String? {
        if let nested = json["error"] as? [String: Any] { return nested["type"] as? String }
        return json["error"] as? String
    }

    public func header(_ name: String) -> String? { headers.first(name: name) }
}

/// A small HTTP client over AsyncHTTPClient for tests.
public enum TestHTTP {
    /// Sends one request; redirects are followed unless `followingRedirects` is false.
    public static func send(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = [],
                            body: Data? = nil, followingRedirects: Bool = true) async throws -> HTTPResult {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        return try await execute(request, client: followingRedirects ? client : notFollowing)
    }

    /// The tests' client. A refused connection fails at once: async-http-client's default
    /// retries it until the connect timeout, so a call to a killed server took a minute.
    /// Tests send up to 40 calls at once to one server: each gets a connection of its own
    /// rather than queueing behind 8, where on a loaded machine the wait outlasted the pool's
    /// timeout (`getConnectionFromPoolTimeout`).
    public static let client: HTTPClient = make(followingRedirects: true)

    /// A client that answers a redirect as it is, to see where it points.
    private static let notFollowing: HTTPClient = make(followingRedirects: false)

    private static func make(followingRedirects: Bool) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        if !followingRedirects { configuration.redirectConfiguration = .disallow }
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        configuration.timeout.connect = .seconds(30)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Sends `request` as built by the caller (e.g. with a streamed body).
    public static func execute(_ request: HTTPClientRequest, client: HTTPClient = TestHTTP.client) async throws -> HTTPResult {
        let response = try await client.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 256 << 20)
        return HTTPResult(status: Int(response.status.code), headers: response.headers, body: Data(buffer: body))
    }

    /// The headers every Lightfield API call carries.
    public static func lightfield(_ key: String) -> [(String, String)] {
        [("Authorization", "Bearer \(key)"), ("Lightfield-Version", "2026-03-01"), ("Content-Type", "application/json")]
    }

    /// A JSON body.
    public static func json(_ object: [String: any Sendable]) -> Data {
        (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
    }

    /// A multipart/form-data body with text fields, as `curl -F` sends it.
    public static func form(_ fields: [(String, String)]) -> (contentType: String, body: Data) {
        let boundary = "hoist-test-\(UUID().uuidString)"
        var body = ""
        for (name, value) in fields {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
        }
        body += "--\(boundary)--\r\n"
        return ("multipart/form-data; boundary=\(boundary)", Data(body.utf8))
    }
}
