import Foundation
import Hummingbird

/// Refuses requests whose `Host` is missing, repeated or not a host: nothing the server
/// builds depends on `Host`, but a request that lies about it is not one to serve.
struct HostCheckMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try HostCheck.check(request.head)
        return try await next(request, context)
    }
}

/// The rules for `Host`, shared by the middleware and the `Expect: 100-continue` gate.
enum HostCheck {
    /// Throws the 400 a request head gets for its `Host`, or returns when it is sound.
    static func check(_ head: HTTPRequest) throws(APIError) {
        guard let authority = head.authority else { throw .invalidRequest("the Host header is missing") }
        // The HTTP/1 conversion moves the first Host into `authority` and keeps any other.
        guard !head.headerFields.contains(where: { $0.name.canonicalName == "host" }) else { throw .invalidRequest("more than one Host header") }
        guard isValidAuthority(authority) else { throw .invalidRequest("the Host header is not a valid host[:port]") }
    }

    /// Whether `value` is exactly `host[:port]`: a name, an IPv4 address or a bracketed
    /// IPv6 address, with no user, path, query or fragment.
    static func isValidAuthority(_ value: String) -> Bool {
        guard !value.isEmpty, value.utf8.count <= 255,
              !value.contains(where: { "/?#@\\ ".contains($0) }),
              let components = URLComponents(string: "http://" + value),
              let host = components.percentEncodedHost, !host.isEmpty, !host.contains("%")
        else { return false }
        if let port = components.port, !(0...65535).contains(port) { return false }
        return components.percentEncodedPath.isEmpty && components.percentEncodedQuery == nil
    }
}
