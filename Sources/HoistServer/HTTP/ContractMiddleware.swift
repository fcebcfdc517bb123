import Hummingbird
import Logging
import NIOCore
import Foundation
import NIOHTTP1

/// Makes every answer one the contract names: JSON in the dialect of the path, 404 for an
/// unknown route, 405 with `Allow` for a known route and the wrong method, 408 for a body
/// that stalled, and a JSON 500 (logged) for anything that escaped a route.
struct ContractMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTableBox
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            try PathForm.check(request.uri.path)
            // Only where a body is taken: a GET's or an OPTIONS' body is read by no route.
            if request.method == .put || request.method == .post { try ContentCoding.check(request.headers) }
            // A plain OPTIONS: what the path answers, in `Allow`. (A preflight gets here only
            // for a path no route has, to be its 404; CORSMiddleware answers the others.)
            if request.method == .options {
                let allowed = routes.value.allowedMethods(for: request.uri.path)
                guard !allowed.isEmpty else { throw APIError.noRoute(request.uri.path) }
                return Response(status: .noContent, headers: [.allow: allowed.map(\.rawValue).joined(separator: ", ")])
            }
            return try await next(request, context)
        } catch let error as DialectError {
            return try error.response(from: request, context: context)
        } catch {
            let dialect = Dialect.forPath(request.uri.path)
            return try DialectError(error: apiError(for: error, request: request), dialect: dialect)
                .response(from: request, context: context)
        }
    }

    private func apiError(for error: any Error, request: Request) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case is RequestTimeout:
            return .requestTimeout()
        case is HTTPParserError:
            return .invalidRequest("the request is not valid HTTP/1.1")
        case let error as HTTPError where error.status == .notFound:
            let allowed = routes.value.allowedMethods(for: request.uri.path)
            return allowed.isEmpty ? .noRoute(request.uri.path) : .methodNotAllowed(request.method, allowed: allowed)
        case let error as HTTPError where error.status == .contentTooLarge:
            return .tooLarge("the request body is too large")
        case let error as HTTPError where (400..<500).contains(error.status.code):
            return APIError(error.status, "invalid_request", error.body ?? error.status.reasonPhrase)
        case is CancellationError:
            // A request cut off at the end of a shutdown's grace (`--shutdown-grace`): the
            // server is stopping, as it was told to; nothing failed.
            logger.debug("cut off by the shutdown: \(request.method) \(request.uri.path)")
            return .shuttingDown()
        case let error as IOError where [ECONNRESET, EPIPE].contains(error.errnoCode):
            // The client went away mid-request (reset while its body was read): nothing
            // failed here, and a log line per reset would let any client flood the log.
            logger.debug("client closed \(request.method) \(request.uri.path): \(error)")
            return .invalidRequest("the connection was closed by the client")
        default:
            logger.error("unhandled error on \(request.method) \(request.uri.path): \(String(reflecting: error))")
            return .internalError()
        }
    }
}
