import Foundation

/// The protocol spoken on the engine's socket: one JSON object per line each way.
///
/// A client sends `hello` first; the engine answers with a `hello` line (its version, pid,
/// destination, clock), then the snapshot (every job of its life as the events that
/// describe its state now), then `ready`, then live events as they happen. Events are the
/// NDJSON lines of `hoist upload --json` with `job` and `time` added
/// (`EngineEvent.wireLine`), so a script can read the same stream (`hoist attach --json`).
public enum AgentProtocol {
    /// Raised whenever a line changes meaning; both sides refuse a different one. 2: the
    /// destination in `hello` names dialect, purpose, persona and key, not the endpoint alone.
    /// 3: `hello` carries the settings the client's uploads need (`options`); an engine of
    /// 2 would ignore them and upload with its own. 4: `cancel` may say `mine` (answered,
    /// for a job another client asked for too, by `released`); an engine of 3 would ignore
    /// it and cancel that client's upload. 5: an `add` may name its walk record (`walk`),
    /// journaled by the client; an engine of 4 would journal the paths again, and the next
    /// engine would queue them twice.
    public static let version = 5
}

/// A line from a client to the engine.
public struct AgentRequest: Codable, Sendable, Equatable {
    public enum Op: String, Codable, Sendable {
        case hello, add, cancel, retry, pause, resume, concurrency, url, stop
        case cancelAll = "cancel_all", cancelQueued = "cancel_queued", rateLimit = "rate_limit"
        /// Stops the walk of this connection's `add` with the same `tag` (sent with `parts`).
        case stopAdd = "stop_add"
    }

    public var op: Op
    /// Echoed in the answer (`added`, `url`), so a client can match it.
    public var tag: Int?
    public var protocolVersion: Int?
    public var version: String?
    /// `hello`: where the client wants uploads to go (`EngineConfiguration.journalKey`).
    public var destination: String?
    /// `hello`: false for a client that wants the snapshot only (`hoist jobs`).
    public var watch: Bool?
    /// `hello`: settings the client's uploads need the engine to apply, by flag
    /// (`--limit-rate` → bytes per second); an engine that applies others refuses the client.
    public var options: [String: String]?
    public var paths: [String]?
    /// `add`: the name each path keeps at its destination (see `UploadEngine.add`).
    public var names: [String]?
    /// `add`: answer in parts, an `added` with `more` per batch as it is queued, and a last
    /// `added` without `more` once the walk ends; absent: one `added` with every id.
    public var parts: Bool?
    /// `add` with `parts`: hold the walk while this many jobs wait in the queue, until half
    /// have started (`UploadEngine.add(backlog:)`); absent: no bound.
    public var backlog: Int?
    /// `add` with `parts`: the bytes of the files named, when the client knows them (the
    /// TUI has just checked each), so that every view can count what waits to be queued.
    public var bytes: Int64?
    public var job: Int?
    /// `concurrency`: jobs at once; `rate_limit`: bytes per second (absent: unlimited).
    public var value: Int64?
    /// `stop`: cancel running uploads instead of finishing them.
    public var now: Bool?
    /// `cancel`: this client's cancel of a job its own `add` was answered with. A job another
    /// client asked for too goes on for that one; this client is answered `released` (a view's
    /// cancel, without it, cancels the job for everyone).
    public var mine: Bool?
    /// `add` with `parts`: the journal's record of these paths, made by the client before it
    /// sent them (the TUI's slices): the engine takes it over, and a slice that never reaches
    /// the engine (a hang-up, a stop) waits in the journal for the next one.
    public var walk: Int64?

    enum CodingKeys: String, CodingKey {
        case op, tag, version, destination, watch, options, paths, names, parts, backlog, bytes, job, value, now, mine, walk
        case protocolVersion = "protocol"
    }

    public init(_ op: Op, tag: Int? = nil) {
        self.op = op
        self.tag = tag
    }

    public static func hello(version: String, destination: String?, watch: Bool = true, options: [String: String]? = nil) -> Self {
        var request = Self(.hello)
        request.protocolVersion = AgentProtocol.version
        request.version = version
        request.destination = destination
        request.watch = watch
        request.options = options
        return request
    }

    public static func add(_ paths: [String], names: [String]? = nil, tag: Int? = nil) -> Self {
        var request = Self(.add, tag: tag)
        request.paths = paths
        request.names = names
        return request
    }

    /// An `add` answered in parts, its walk held at `backlog` queued jobs (nil: no bound).
    public static func addInParts(_ paths: [String], names: [String]? = nil, tag: Int, backlog: Int?, bytes: Int64? = nil) -> Self {
        var request = add(paths, names: names, tag: tag)
        request.parts = true
        request.backlog = backlog
        request.bytes = bytes
        return request
    }

    public static func job(_ op: Op, _ id: Int, tag: Int? = nil) -> Self {
        var request = Self(op, tag: tag)
        request.job = id
        return request
    }

    /// A command's cancel of one of the jobs its `add` was answered with (see ``mine``).
    public static func cancelMine(_ id: Int) -> Self {
        var request = job(.cancel, id)
        request.mine = true
        return request
    }

    public static func value(_ op: Op, _ value: Int64?) -> Self {
        var request = Self(op)
        request.value = value
        return request
    }

    public static func stop(now: Bool) -> Self {
        var request = Self(.stop)
        request.now = now
        return request
    }

    /// The request as one line, newline included.
    public var line: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self) + "\n"
    }
}
