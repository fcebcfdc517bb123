import Foundation
import HTTPTypes

/// Judges `Expect: 100-continue` request heads with the same checks the middlewares and
/// routes make, so that an early answer is the answer the request would have had.
struct ContinueGate: Sendable {
    let state: ServerState

    func verdict(_ head: HTTPRequest) -> ContinueVerdict {
        let cors = CORSPolicy(allowedOrigins: state.config.allowedOrigins).headers(origin: head.headerFields[.origin])
        let dialect = Dialect.forPath(head.path ?? "/")
        do {
            try HostCheck.check(head)
            try PathForm.check(head.path ?? "/")
            try TransferCoding.check(head)
        } catch {
            // Refused before any route is matched, as the middleware refuses it: no route.
            return rejected(head, route: "NotFound", error.status, dialect.errorBody(error), cors)
        }
        guard let path = head.path, path.hasPrefix("/storage/"), let target = StorageGate.Target(path: path) else {
            return .proceed
        }
        do {
            let gate = StorageGate(signer: state.signer, unsizedLimit: StorageRoutes.unsizedLimit(state.config))
            // A HEAD is the GET's URL, as `HeadResponder` answers it.
            let method: HTTPRequest.Method = head.method == .head ? .get : head.method
            switch state.store.sessionWithoutWaiting(id: target.sessionId) {
            case .known(let session):
                try gate.check(method: method, target: target, headers: head.headerFields, session: session, now: state.now())
                if head.method == .put, let session { try checkFreeName(session, head) }
            case .unknown:
                try gate.checkURL(method: method, target: target, headers: head.headerFields, now: state.now())
                // A Luw session has no size of its own: its limit needs no lookup.
                if head.method == .put, target.dialect == .luw { try gate.checkLength(head.headerFields, limit: gate.unsizedLimit) }
            }
            if head.method == .put { try StorageRoutes.checkStoredHeaders(head.headerFields) }
            return .proceed
        } catch {
            return rejected(head, route: Self.storageRoute, error.status, target.dialect.errorBody(error), cors)
        }
    }

    /// The storage routes' pattern, as `MetricsMiddleware` labels their requests.
    static let storageRoute = "/storage/{id}/{name}"

    /// A refusal, counted as `MetricsMiddleware` counts every answered request: this one
    /// never reaches it (curl asks `Expect` for every body over 1 MiB, so refusals of large
    /// uploads would not show at all).
    private func rejected(_ head: HTTPRequest, route: String, _ status: HTTPResponse.Status, _ json: String, _ cors: HTTPFields) -> ContinueVerdict {
        let method = head.method.rawValue
        state.metrics.request(route: route, method: method, status: status.code)
        state.metrics.requestDuration(.zero, route: route, method: method, status: status.code)
        if head.method == .put, route == Self.storageRoute { state.metrics.putDuration(.zero, status: status.code) }
        return .reject(status, json, cors)
    }

    /// A knowledge upload's name already taken, or a PUT's `If-None-Match: *` met by bytes
    /// already there: the route would read the whole body only to answer 412, so the head
    /// gets it.
    private func checkFreeName(_ session: SessionRecord, _ head: HTTPRequest) throws(APIError) {
        guard state.config.purposes.requiresFreeName(session) || StorageRoutes.onlyIfAbsent(head.headerFields),
              state.store.objectExistsWithoutWaiting(key: session.objectKey) == true else { return }
        throw .preconditionFailed()
    }
}
