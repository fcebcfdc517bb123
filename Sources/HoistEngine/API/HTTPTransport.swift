import AsyncHTTPClient
import Foundation
import NIOCore

/// Small HTTP helpers shared by the API client and the uploader: sending, error mapping.
enum HTTPTransport {
    static let apiTimeout: TimeAmount = .seconds(60)

    /// The client configuration every engine and one-shot command uses.
    ///
    /// Connection establishment is not retried inside the client: by default
    /// async-http-client retries a refused connect with backoff until the connect timeout,
    /// then reports the last error, which made a dead endpoint take ~55 s to fail and hid
    /// the cause. A failed connect now surfaces at once; `NetworkFailure` says whether the
    /// engine retries it (a reset or timeout) or stops (refused, unresolved, TLS).
    static var clientConfiguration: HTTPClient.Configuration {
        var http = HTTPClient.Configuration()
        http.redirectConfiguration = .disallow
        http.decompression = .disabled
        http.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        http.connectionPool.retryConnectionEstablishment = false
        return http
    }

    /// A decoded answer: status and body bytes.
    struct Answer: Sendable {
        var status: Int
        var body: ByteBuffer
        var isSuccess: Bool { (200..<300).contains(status) }

        func decode<T: Decodable>(_ type: T.Type) throws(EngineError) -> T {
            do {
                return try JSONDecoder.hoist.decode(T.self, from: Data(body.readableBytesView))
            } catch {
                throw .protocolViolation("cannot decode \(T.self): \(error)")
            }
        }
    }

    static func send(_ request: HTTPClientRequest, client: HTTPClient, timeout: TimeAmount = apiTimeout) async throws(EngineError) -> Answer {
        do {
            let response = try await client.execute(request, timeout: timeout)
            let body = try await response.body.collect(upTo: 4 << 20)
            return Answer(status: Int(response.status.code), body: body)
        } catch {
            throw map(error, url: request.url)
        }
    }

    /// Any thrown error as an `EngineError`: ours pass through, cancellation is cancellation,
    /// everything else from the client is classified by `NetworkFailure` (a request to `url`).
    static func map(_ error: any Error, url: String? = nil) -> EngineError {
        if let engine = error as? EngineError { return engine }
        if error is CancellationError { return .cancelled }
        if let client = error as? HTTPClientError, client == .cancelled { return .cancelled }
        return NetworkFailure.classify(error, url: url ?? "")
    }

    /// The server's error answer in either dialect, as an `EngineError`.
    static func failure(_ answer: Answer) -> EngineError {
        struct Lightfield: Decodable {
            struct Inner: Decodable { var type: String?; var message: String? }
            var error: Inner
        }
        struct Luw: Decodable { var error: String?; var message: String? }
        let data = Data(answer.body.readableBytesView)
        var code: String?
        var message = String(decoding: data.prefix(300), as: UTF8.self)
        if let lf = try? JSONDecoder().decode(Lightfield.self, from: data) {
            code = lf.error.type
            message = lf.error.message ?? message
        } else if let luw = try? JSONDecoder().decode(Luw.self, from: data) {
            code = luw.error
            message = luw.message ?? message
        }
        if message.isEmpty { message = "HTTP \(answer.status)" }
        if answer.status == 403, code == "expired" || message.lowercased().contains("expired") {
            return .expired(message)
        }
        if answer.status == 412 { return .nameTaken(message) }
        return .http(status: answer.status, code: code, message: message)
    }
}

extension JSONDecoder {
    /// Dates as ISO 8601, with or without fractional seconds.
    static var hoist: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            if let date = ISO8601.parse(text) { return date }
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad date \(text)"))
        }
        return decoder
    }
}

/// ISO 8601 parsing without sharing a non-Sendable formatter across tasks.
enum ISO8601 {
    static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
