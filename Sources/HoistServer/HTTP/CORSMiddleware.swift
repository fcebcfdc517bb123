import Hummingbird

/// CORS for browser clients such as the Luw seed's HTML page: answers preflights and adds
/// `Access-Control-Allow-Origin` to every response, errors included, so that a page can
/// read the error's message.
///
/// A preflight is answered for a path some route has, with the methods that path takes (a
/// browser then refuses any other); one to a path no route has goes on to be the 404 every
/// other method gets there.
struct CORSMiddleware<Context: RequestContext>: RouterMiddleware {
    let policy: CORSPolicy
    let routes: RouteTableBox

    init(allowedOrigins: [String]?, routes: RouteTableBox) {
        policy = CORSPolicy(allowedOrigins: allowedOrigins)
        self.routes = routes
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let origin = request.headers[.origin]
        if request.method == .options, let origin, request.headers[.accessControlRequestMethod] != nil,
           case let allowed = routes.value.allowedMethods(for: request.uri.path), !allowed.isEmpty {
            guard policy.allows(origin) else {
                let refusal = APIError.forbidden("pages from \(origin) may not call this server (see its --allow-origin)")
                var response = try DialectError(error: refusal, dialect: Dialect.forPath(request.uri.path)).response(from: request, context: context)
                for field in policy.headers(origin: origin) { response.headers[field.name] = field.value }
                return response
            }
            var response = Response(status: .noContent, headers: policy.headers(origin: origin))
            response.headers[.accessControlAllowMethods] = allowed.map(\.rawValue).joined(separator: ", ")
            response.headers[.accessControlAllowHeaders] = CORSPolicy.allowedHeaders
            response.headers[.accessControlMaxAge] = "600"
            return response
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        for field in policy.headers(origin: origin) { response.headers[field.name] = field.value }
        return response
    }
}

/// Which origins may read the API's answers, and the headers that say so.
struct CORSPolicy: Sendable {
    /// Allowed origins; `nil` allows any.
    let allowedOrigins: [String]?

    static let allowedHeaders = "Authorization, Content-Type, Cache-Control, Expires, Lightfield-Version, If-None-Match, Range, If-Range"

    func allows(_ origin: String) -> Bool {
        allowedOrigins.map { $0.contains(origin) } ?? true
    }

    /// The CORS headers of any response to a request from `origin`. With any origin
    /// allowed, every response carries them, `Origin` or not; with a list, only responses
    /// to a listed origin do, and `Vary: Origin` tells caches so.
    func headers(origin: String?) -> HTTPFields {
        var fields = HTTPFields()
        if allowedOrigins == nil {
            fields[.accessControlAllowOrigin] = "*"
        } else {
            fields[.vary] = "Origin"
            guard let origin, allows(origin) else { return fields }
            fields[.accessControlAllowOrigin] = origin
        }
        fields[.accessControlExposeHeaders] = "ETag, Content-Range, Accept-Ranges"
        return fields
    }
}
