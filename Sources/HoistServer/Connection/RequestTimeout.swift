/// A request body stopped arriving for longer than the body timeout: raised into the
/// request's body stream so that its route discards what it stored and answers 408.
struct RequestTimeout: Error, Sendable, CustomStringConvertible {
    var description: String { "the request body stalled past the body timeout" }
}
