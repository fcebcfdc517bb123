import Foundation
import HTTPTypes
import Hummingbird

/// The two API dialects the server speaks; each renders errors its own way.
public enum Dialect: String, Sendable, Codable {
    case lightfield
    case luw

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
        var headers = HTTPFields()
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
