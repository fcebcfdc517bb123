import Hummingbird

/// CORS for browser clients such as the Luw seed's HTML page: answers preflights and adds
/// `Access-Control-Allow-Origin` to every response, errors included, so that a page can
/// read the error's message.
struct CORSMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Allowed origins; `nil` allows any.
    let allowedOrigins: [String]?

    static var allowedHeaders: String {
        "Authorization, Content-Type, Cache-Control, Expires, Lightfield-Version, If-None-Match"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        let allowed = allowedOrigins.map { $0.contains(origin) } ?? true
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var response = Response(status: allowed ? .noContent : .forbidden)
            if allowed {
                decorate(&response, origin: origin)
                response.headers[.accessControlAllowMethods] = "GET, POST, PUT, OPTIONS"
                response.headers[.accessControlAllowHeaders] = Self.allowedHeaders
                response.headers[.accessControlMaxAge] = "600"
            }
            return response
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        if allowed { decorate(&response, origin: origin) }
        return response
    }

    private func decorate(_ response: inout Response, origin: String) {
        response.headers[.accessControlAllowOrigin] = allowedOrigins == nil ? "*" : origin
        response.headers[.accessControlExposeHeaders] = "ETag"
        if allowedOrigins != nil { response.headers[.vary] = "Origin" }
    }
}
