/// Paths are taken only as they are written: routing would also take `/v1/files/`,
/// `//v1/files` or `/cdn/luwai/1/a.png/` for the route without the extra `/`, but the route
/// table (405 and `Allow`, `HEAD`, `OPTIONS`) knows only the exact paths, a final URL or a
/// signed storage URL spelled so is not the one handed out (S3 would take it for another
/// key), and `HEAD` answered 404 where `GET` answered 200. So an empty segment or a trailing
/// `/` names no route: 404, for every method, before any `100 Continue`.
enum PathForm {
    /// `target`: a path, or a request target with its query (which is not looked at).
    static func check(_ target: String) throws(APIError) {
        let path = target.prefix { $0 != "?" }
        guard path == "/" || (!path.hasSuffix("/") && !path.contains("//")) else { throw .noRoute(String(path)) }
    }
}
