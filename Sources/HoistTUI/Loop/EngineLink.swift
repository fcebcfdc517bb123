import HoistEngine

/// What the event loop needs of an engine, without ever waiting on it: commands go out in
/// order, answers and events come back as inputs the loop drains. ``EngineBridge`` is the
/// real one; tests script one to drive the loop on a manual clock.
protocol EngineLink: AnyObject, Sendable {
    /// Sends a command; it runs after every command sent before it.
    func send(_ command: EngineCommand)
    /// Reads earlier runs' completed uploads; they arrive as ``Input/history(_:)``.
    func loadHistory(limit: Int)
    /// Asks for a download URL; it arrives as ``Input/fetchedURL(job:_:)``.
    func fetchURL(job: JobID, remoteID: String)
    /// Why each path cannot be uploaded (nil: it can), checked locally (no network).
    func preflight(_ paths: [String]) -> [EngineError?]
    /// Everything that arrived since the last call, in order; engine events in batches.
    func drain() -> [Input]
    /// Stops forwarding commands (those sent still run); returns once the engine has every
    /// command sent.
    func finish() async
}
