/// Why the background engine or a client of it could not do what was asked.
public struct AgentError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: String, Sendable {
        case notRunning, unreachable, alreadyRunning, versionMismatch, destinationMismatch, socket, startFailed, lost, refusedPeer, protocolViolation
    }

    private let code: Code
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// No background engine listens on the socket (and none was to be started).
    public static func notRunning(socket: String) -> Self {
        .init(.notRunning, "no background engine is running (no one listens on \(socket))")
    }

    /// An engine holds the journal's lock but does not listen: its socket was removed and
    /// cannot be made again yet (its directory gone until the next login), or it is a hoist
    /// from before engines made it again.
    /// `taken`: something other than a socket is at the path (a file, a directory, a link).
    public static func unreachable(pid: Int32, socket: String, taken: Bool = false) -> Self {
        .init(.unreachable, "the background engine\(pid > 0 ? " (pid \(pid))" : "") runs but does not listen on \(socket) "
              + (taken ? "(something other than a socket is there: it listens there again once that is removed)"
                       : "(its socket was removed: it listens there again once it can make it)")
              + ", or `kill \(pid > 0 ? String(pid) : "PID")` ends it and the next engine resumes its uploads")
    }

    /// Another engine holds the journal's lock.
    public static func alreadyRunning(pid: Int32?, journal: String) -> Self {
        .init(.alreadyRunning, "another hoist engine\(pid.map { " (pid \($0))" } ?? "") already runs on the journal \(journal)")
    }

    /// The two sides speak different protocol versions.
    public static func versionMismatch(client: Int, clientVersion: String, engine: Int, engineVersion: String, pid: Int32?) -> Self {
        .init(.versionMismatch,
              "this hoist (\(clientVersion), protocol \(client)) cannot talk to the running background engine "
              + "(hoist \(engineVersion), protocol \(engine)\(pid.map { ", pid \($0)" } ?? "")): "
              + "run `hoist stop` once its uploads are done, or use --foreground")
    }

    /// The running engine uploads somewhere else than this client wants to.
    public static func destinationMismatch(engine: String, client: String) -> Self {
        .init(.destinationMismatch,
              "the background engine uploads to \(engine), not to \(client): run `hoist stop` first, or use --foreground")
    }

    /// The engine applies other settings than the client asks (`--limit-rate`, `--no-clobber`, ...).
    public static func optionsMismatch(engine: [String], client: [String]) -> Self {
        .init(.destinationMismatch,
              "the background engine uploads with \(engine.joined(separator: ", ")), not with \(client.joined(separator: ", ")) "
                  + "as this command asks: run `hoist stop` first, or use --foreground")
    }

    /// The engine's own word that it uploads elsewhere.
    public static func destinationRefused(_ message: String) -> Self { .init(.destinationMismatch, message) }

    /// A socket call failed.
    public static func socket(_ what: String) -> Self { .init(.socket, what) }

    /// An engine was started but never listened.
    public static func startFailed(_ reason: String) -> Self { .init(.startFailed, "could not start the background engine: \(reason)") }

    /// The connection to the engine closed.
    public static func lost(_ reason: String) -> Self { .init(.lost, "lost the background engine: \(reason)") }

    /// A peer of another user tried to connect.
    public static func refusedPeer(uid: UInt32) -> Self { .init(.refusedPeer, "refused a client of uid \(uid)") }

    /// The other side sent something this side cannot read.
    public static func protocolViolation(_ what: String) -> Self { .init(.protocolViolation, "agent protocol: \(what)") }

    /// Whether starting an engine could help (nobody listens).
    public var isNotRunning: Bool { code == .notRunning }
    /// Whether retrying later cannot help without the user (versions, destinations).
    public var isPermanent: Bool { code == .versionMismatch || code == .destinationMismatch }
}
