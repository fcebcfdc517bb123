import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
#if canImport(Glibc)
import Glibc
#endif

/// Small HTTP helpers shared by the API client and the uploader: sending, error mapping.
public enum HTTPTransport {
    /// How long an engine's API call waits for its answer's head.
    public static let apiTimeout: TimeAmount = .seconds(60)

    /// The client configuration every engine and one-shot command uses.
    ///
    /// Connection establishment is not retried inside the client: by default
    /// async-http-client retries a refused connect with backoff until the connect timeout,
    /// then reports the last error, which made a dead endpoint take ~55 s to fail and hid
    /// the cause. A failed connect now surfaces at once; `NetworkFailure` says whether the
    /// engine retries it (a reset or timeout) or stops (refused, unresolved, TLS).
    public static var clientConfiguration: HTTPClient.Configuration {
        var http = HTTPClient.Configuration()
        http.redirectConfiguration = .disallow
        http.decompression = .disabled
        http.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        http.connectionPool.retryConnectionEstablishment = false
        http.http1_1ConnectionDebugInitializer = { limitUnsentBytes($0) }
        http.http2ConnectionDebugInitializer = { limitUnsentBytes($0) }
        return http
    }

    /// Unsent bytes a connection's socket may hold before it stops taking more.
    static let unsentLimit = 256 << 10

    /// Caps what the socket holds unsent (`TCP_NOTSENT_LOWAT`), so that a write completes
    /// about when the bytes before it have left, not when the kernel copied them.
    ///
    /// Progress counts the body bytes the socket has taken (`PutDelegate`), and Linux grows
    /// a connection's send buffer up to 4 MiB: on a link slower than the disk the whole of a
    /// 3 MB file was "sent" in the first second, then nothing moved for the rest (the live
    /// view said `stalled` while bytes flowed), and under about 20 KB/s no write completed
    /// for 60 s, so the stall watch gave up a healthy upload. Only the unsent part is
    /// capped: what is in flight still grows with the link, so a long fat link stays full.
    /// A socket that refuses the option keeps the kernel's default.
    @Sendable static func limitUnsentBytes(_ channel: any Channel) -> EventLoopFuture<Void> {
        #if canImport(Glibc)
        let option = ChannelOptions.Types.SocketOption(level: .tcp, name: .init(rawValue: CInt(TCP_NOTSENT_LOWAT)))
        return channel.setOption(option, value: SocketOptionValue(unsentLimit)).recover { _ in }
        #else
        return channel.eventLoop.makeSucceededVoidFuture()
        #endif
    }

    /// A decoded answer: status and body bytes.
    struct Answer: Sendable {
        var status: Int
        var body: ByteBuffer
        /// The answer's headers (S3 puts an object's ETag, size and checksums there).
        var headers: HTTPHeaders = [:]
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
            return Answer(status: Int(response.status.code), body: body, headers: response.headers)
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

    /// The server's error answer, as an `EngineError`: JSON of either dialect or S3's XML,
    /// its message on one line whatever the server sent. An S3 refusal of a skewed clock
    /// to a request to `url` teaches ``S3ClockSkew`` the store's time.
    static func failure(_ answer: Answer, url: String? = nil) -> EngineError {
        let data = Data(answer.body.readableBytesView)
        let body = ServerErrorBody.parse(data)
        let code = body.code.map { OneLineText.of($0, limit: 64) }
        if code == S3ClockSkew.refusalCode, let url { S3ClockSkew.learn(url: url, serverTime: body.serverTime, headers: answer.headers) }
        var message = OneLineText.of(body.message ?? String(decoding: data.prefix(600), as: UTF8.self))
        if message.isEmpty { message = "HTTP \(answer.status)" }
        if EngineError.asksForNewSession(status: answer.status, code: code, message: message) { return .expired(message, code: code) }
        if answer.status == 412 { return .nameTaken(message) }
        return .http(status: answer.status, code: code, message: message, retryAfter: retryAfter(answer.headers["retry-after"].first))
    }

    /// A `Retry-After` value (RFC 9110 section 10.2.3): seconds, or an HTTP date; nil for
    /// anything else. At most 10 minutes: a job is not held longer on one server's word.
    static func retryAfter(_ value: String?, now: Date = Date()) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        let seconds: Double
        if value.allSatisfy(\.isASCII), value.allSatisfy(\.isNumber), let whole = Double(value) {
            seconds = whole
        } else if let date = httpDate.date(from: value) {
            seconds = max(0, date.timeIntervalSince(now))
        } else {
            return nil
        }
        return .milliseconds(Int64(min(seconds, 600) * 1000))
    }

    /// RFC 9110's IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
    private static let httpDate: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter
    }()
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

