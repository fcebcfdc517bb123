import Hummingbird

/// Counts every answered request by route pattern, method and status, and times it. It
/// sits outermost, so the status it sees is the one sent and the time covers every other
/// middleware and the route.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            answered(request, context, status: response.status.code, after: start)
            return response
        } catch {
            answered(request, context, status: (error as? any HTTPResponseError)?.status.code ?? 500, after: start)
            throw error
        }
    }

    private func answered(_ request: Request, _ context: Context, status: Int, after start: ContinuousClock.Instant) {
        let route = Self.route(context), method = request.method.rawValue
        let elapsed = ContinuousClock.now - start
        metrics.request(route: route, method: method, status: status)
        metrics.requestDuration(elapsed, route: route, method: method, status: status)
        // Here, not in the route: a client that resets mid-body got a 400 from the contract's
        // mapping, and the route, which sees only the I/O error, would have said 500.
        if request.method == .put, route.hasPrefix("/storage/") { metrics.putDuration(elapsed, status: status) }
    }

    private static func route(_ context: Context) -> String {
        // Hummingbird names unmatched requests "NotFound": one label for every stray path.
        context.endpointPath ?? "NotFound"
    }
}
