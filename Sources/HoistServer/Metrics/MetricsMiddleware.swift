import Hummingbird

/// Counts every answered request by route pattern, method and status. It sits outermost,
/// so the status it sees is the one sent.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            let response = try await next(request, context)
            metrics.request(route: Self.route(context), method: request.method.rawValue, status: response.status.code)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.request(route: Self.route(context), method: request.method.rawValue, status: status)
            throw error
        }
    }

    private static func route(_ context: Context) -> String {
        // Hummingbird names unmatched requests "NotFound": one label for every stray path.
        context.endpointPath ?? "NotFound"
    }
}
