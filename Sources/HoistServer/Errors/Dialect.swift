import Foundation
import HTTPTypes
import Hummingbird

/// The two API dialects the server speaks; each renders errors its own way.
public enum Dialect: String, Sendable, Codable {
    case lightfield
    case luw

    /// The dialect a request path is answered in: `/v1/` Lightfield, `/v2/` and `/cdn/`
    /// Luw, `/storage/<id>/` the session's; anything else Lightfield.
    static func forPath(_ path: String) -> Dialect {
        let segments = path.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: true)
        switch segments.first {
        case "v2", "cdn": return .luw
        case "storage": return segments.count > 1 ? SessionID.dialect(of: String(segments[1])) : .lightfield
        default: return .lightfield
        }
    }

    /// The JSON body of `error` in this dialect.
    func errorBody(_ error: APIError) -> String {
        switch self {
        case .lightfield:
            return #"{"error":{"type":\#(JSONText.quote(error.code)),"message":\#(JSONText.quote(error.message))}}"#
        case .luw:
            return #"{"status":false,"error":\#(JSONText.quote(error.code)),"message":\#(JSONText.quote(error.message))}"#
        }
    }
}

/// An `APIError` bound to the dialect it is answered in.
struct DialectError: HTTPResponseError {
    let error: APIError
    let dialect: Dialect

    var status: HTTPResponse.Status { error.status }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = error.headers
        headers[.contentType] = "application/json"
        return Response(status: error.status, headers: headers,
                        body: .init(byteBuffer: ByteBuffer(string: dialect.errorBody(error))))
    }
}

/// Rethrows any `APIError` raised below it in `dialect`.
struct DialectErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let dialect: Dialect

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw DialectError(error: error, dialect: dialect)
        }
    }
}

enum JSONText {
    /// `value` as a JSON string literal.
    static func quote(_ value: String) -> String {
        let data = (try? JSONEncoder().encode(value)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
