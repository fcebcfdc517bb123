import HTTPTypes
import Hummingbird
import Synchronization

/// The routes the server registered, as `METHOD /path/{param}`, for answering a wrong
/// method with 405 and `Allow`, and for holding the server to its OpenAPI document.
struct RouteTable: Sendable {
    struct Route: Sendable, Hashable {
        let method: HTTPRequest.Method
        /// Path segments; a `{name}` segment matches any one segment.
        let segments: [String]

        var path: String { "/" + segments.joined(separator: "/") }
    }

    let routes: [Route]

    init(routes: [Route]) { self.routes = routes }

    /// Reads what `router` registered (Hummingbird writes parameters as `:name`).
    init(_ router: Router<BasicRequestContext>) {
        routes = router.routes.map { route in
            let segments = route.path.description.split(separator: "/").map { segment in
                segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
            }
            return Route(method: route.method, segments: segments)
        }
    }

    /// `GET` routes that change state (Luw's finalize is a `GET`): `HEAD` must not run them.
    static let changingGets: Set<String> = ["/v2/finalize_upload"]

    /// Whether `HEAD` on `path` is answered as its `GET` (see `HeadResponder`).
    func answersHead(_ path: String) -> Bool {
        !Self.changingGets.contains(path) && methods(for: path).contains(.get)
    }

    /// The methods `path` takes, in a stable order, `HEAD` among them where `GET` answers
    /// it; empty when no route has this path at all (a 404 rather than a 405).
    func allowedMethods(for path: String) -> [HTTPRequest.Method] {
        var methods = methods(for: path)
        if answersHead(path) { methods.append(.head) }
        // Every route answers OPTIONS: a preflight (CORSMiddleware), or a plain one (Allow).
        if !methods.isEmpty { methods.append(.options) }
        return methods.sorted { $0.rawValue < $1.rawValue }
    }

    /// The methods registered for paths that match `path`, in a stable order; empty when
    /// no route has this path at all.
    private func methods(for path: String) -> [HTTPRequest.Method] {
        let given = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        let matching = routes.filter { route in
            route.segments.count == given.count
                && zip(route.segments, given).allSatisfy { pattern, segment in
                    pattern.hasPrefix("{") ? !segment.isEmpty : pattern == segment
                }
        }
        return Array(Set(matching.map(\.method))).sorted { $0.rawValue < $1.rawValue }
    }

    /// `METHOD /path` lines, sorted; what the OpenAPI document must list.
    var descriptions: [String] {
        routes.map { "\($0.method.rawValue) \($0.path)" }.sorted()
    }
}

/// The route table, filled in once every route is registered: the middleware that needs
/// it must be added to the router before the routes it wraps.
final class RouteTableBox: Sendable {
    private let table = Mutex<RouteTable>(RouteTable(routes: []))

    var value: RouteTable { table.withLock { $0 } }

    func set(_ value: RouteTable) { table.withLock { $0 = value } }
}
