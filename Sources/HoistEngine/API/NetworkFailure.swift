import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns what async-http-client and NIO throw into an `EngineError` a user can act on, and
/// decides which failures no wait can cure (refused, unresolved, TLS).
///
/// NIO reports a failed connect as a `NIOConnectionError` (NIOPosix) holding the DNS
/// errors and one `IOError` per address tried, and TLS failures as NIOSSL errors.
/// HoistEngine depends on NIOCore only, so the error is searched by reflection for the
/// NIOCore values inside it (`IOError`, `SocketAddressError`) and NIOSSL errors are
/// recognised by their module's name. Reflection only reads; an unknown shape falls back to
/// a retryable network error with the error's own description.
enum NetworkFailure {
    /// The error for a request to `url` that failed with `error` (not an HTTP answer).
    static func classify(_ error: any Error, url: String) -> EngineError {
        let (host, port) = endpoint(of: url)
        let parts = components(of: error)
        if parts.contains(where: { ($0 as? IOError)?.errnoCode == ECONNREFUSED }) {
            return .refused(host: host, port: port)
        }
        if let unknown = parts.lazy.compactMap({ $0 as? SocketAddressError.UnknownHost }).first {
            return .unresolved(host: host, unknown.errorDescription.isEmpty ? nil : unknown.errorDescription)
        }
        if let tls = parts.first(where: { moduleName(of: $0) == "NIOSSL" }) {
            return .tls(host: host, port: port, tlsReason(tls))
        }
        // llhttp could not read the start of the answer: whatever listens there does not
        // speak HTTP/1.1 (an SSH or TLS port, a database), and no wait cures that. An answer
        // cut off midway (`invalidEOFState`, a closed connection) stays a network error, retried.
        if let parse = parts.lazy.compactMap({ $0 as? HTTPParserError }).first, notHTTP.contains(parse) {
            return .protocolViolation("the answer from \(host):\(port) is not HTTP (\(parse)): is that the server's address?")
        }
        if let client = error as? HTTPClientError, let text = readable(client, host: host, port: port) {
            return .network(text)
        }
        if let io = parts.lazy.compactMap({ $0 as? IOError }).first {
            return .network("\(String(cString: strerror(io.errnoCode))) (\(host):\(port))")
        }
        return .network(String(describing: error))
    }

    /// Parser errors that mean the bytes that came back are not an HTTP/1.1 answer at all.
    static let notHTTP: Set<HTTPParserError> = [.invalidConstant, .invalidVersion, .invalidStatus, .invalidCharactersUsed]

    /// `error` and every value reachable from it through stored properties, enum payloads,
    /// optionals and arrays: the wrapped errors of a `NIOConnectionError` or an SSL error.
    static func components(of error: any Error) -> [Any] {
        var found: [Any] = []
        var pending: [(Any, Int)] = [(error, 0)]
        while let (value, depth) = pending.popLast(), found.count < 200 {
            found.append(value)
            guard depth < 6 else { continue }
            for child in Mirror(reflecting: value).children { pending.append((child.value, depth + 1)) }
        }
        return found
    }

    /// BoringSSL's reason (`WRONG_VERSION_NUMBER` → "wrong version number"), else the
    /// error's own description.
    static func tlsReason(_ error: Any) -> String {
        let text = String(describing: error)
        if let marker = text.range(of: "OPENSSL_internal:") {
            let token = text[marker.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            if !token.isEmpty { return token.lowercased().replacingOccurrences(of: "_", with: " ") }
        }
        return text
    }

    private static func moduleName(of value: Any) -> Substring {
        String(reflecting: type(of: value)).prefix { $0 != "." }
    }

    private static func readable(_ error: HTTPClientError, host: String, port: Int) -> String? {
        switch error {
        case .connectTimeout: return "connecting to \(host):\(port) timed out"
        case .remoteConnectionClosed: return "the server closed the connection"
        case .readTimeout: return "the server stopped answering (read timeout)"
        case .writeTimeout: return "the server stopped reading (write timeout)"
        case .deadlineExceeded: return "the request took too long"
        default: return nil
        }
    }

    /// Host and port a URL points at, for messages.
    static func endpoint(of url: String) -> (host: String, port: Int) {
        let components = URLComponents(string: url)
        let host = components?.host ?? url
        let port = components?.port ?? (components?.scheme == "https" ? 443 : 80)
        return (host, port)
    }
}
