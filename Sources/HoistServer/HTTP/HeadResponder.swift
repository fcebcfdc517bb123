import Hummingbird

/// Answers `HEAD` on every `GET` route as that `GET` would be answered, without the body
/// (RFC 9110 §9.3.2 asks it of every general-purpose server): the status and headers,
/// `Content-Length` among them, are the `GET`'s, errors included. Not on a `GET` that
/// changes state (`RouteTable.changingGets`): `HEAD` is safe. A `HEAD` elsewhere goes on to
/// the 404 or 405 any other method gets.
///
/// It wraps the router rather than joining its middleware: the router picks a route by the
/// method before any middleware runs.
struct HeadResponder<Inner: HTTPResponder>: HTTPResponder {
    let inner: Inner
    let routes: RouteTableBox

    func respond(to request: Request, context: Inner.Context) async throws -> Response {
        guard request.method == .head, routes.value.answersHead(request.uri.path) else {
            return try await inner.respond(to: request, context: context)
        }
        var head = request.head
        head.method = .get
        // NIO frames an answer to HEAD without a body whatever is written; dropping it here
        // also spares reading a stored file for nothing (a body of at most 64 KiB kept in
        // the database is read, so that one found missing is a 500 here too). The GET's
        // Content-Length stays.
        return try await inner.respond(to: Request(head: head, body: request.body), context: context).createHeadResponse()
    }
}
