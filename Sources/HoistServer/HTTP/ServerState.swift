import Foundation
import Hummingbird
import Synchronization

/// What every route shares: configuration, stores, signer and the uploads in flight.
struct ServerState: Sendable {
    let config: ServerConfiguration
    let store: any MetadataStore
    /// Where bytes live: the routes' only view of them.
    let blobs: any BlobStore
    /// The data directory's blobs, which the server's own storage URLs write: nil when
    /// bytes go straight to S3 and those URLs are never handed out.
    let disk: DiskBlobStore?
    let signer: URLSigner
    let inflight = InflightUploads()
    /// Memory small bodies may hold while they arrive, across every PUT.
    let heldBodies = HeldBodyBudget()
    let metrics = ServerMetrics()
    /// The base of every URL handed out; known once the server is bound.
    let publicBase: PublicBase

    /// Now, to the millisecond: what SQLite keeps, so that a response built from memory
    /// and one read back later (an idempotent complete) say exactly the same.
    func now() -> Date {
        Date(millis: config.clock.now().millis)
    }

    /// The base of the URLs handed out: `--public-url`, else the address actually bound.
    /// Never the request's `Host`, which a client can set to anything.
    var baseURL: String { publicBase.value }

}

/// PUTs in progress, so that cancelling a session cuts off a body still streaming to it,
/// one waiting for bytes that may never come among them.
final class InflightUploads: Sendable {
    /// The PUTs reading their bodies for each session (how to cut each off), and whether the
    /// session was cancelled meanwhile. One entry a PUT, not one flag per session: a second
    /// PUT to the same session that began and ended while the first streamed took the
    /// first's flag with it, and the cancel then found nothing to cut off.
    private struct Streaming {
        var cutters: [Int: @Sendable () -> Void] = [:]
        var cancelled = false
    }

    private struct State {
        var sessions: [String: Streaming] = [:]
        var next = 0
    }

    private let state = Mutex(State())

    /// Runs `put` (a PUT's reading and storing of its body) as a PUT streaming to
    /// `sessionId`, until it calls the `doneReading` it is given. A cancel of the session
    /// meanwhile flags it (``isCancelled(_:)``) and cancels its task: a body read that waits
    /// for bytes ends at once instead of at the client's next bytes or the body timeout.
    /// `doneReading` says whether the session was cancelled; after it, nothing cancels the
    /// task, whose commit runs to its end (the store refuses a cancelled session's bytes).
    func streaming<T: Sendable>(_ sessionId: String,
                                _ put: @escaping @Sendable (_ doneReading: @escaping @Sendable () -> Bool) async throws -> T) async throws -> T {
        let (token, task) = state.withLock { state -> (Int, Task<T, any Error>) in
            state.next += 1
            let token = state.next
            let doneReading: @Sendable () -> Bool = { [self] in
                self.state.withLock { state in
                    state.sessions[sessionId]?.cutters[token] = nil
                    return state.sessions[sessionId]?.cancelled ?? false
                }
            }
            // Made under the lock: it cannot say it is done reading before it is registered.
            let task = Task { try await put(doneReading) }
            state.sessions[sessionId, default: Streaming()].cutters[token] = { task.cancel() }
            return (token, task)
        }
        defer {
            state.withLock { state in
                state.sessions[sessionId]?.cutters[token] = nil
                if state.sessions[sessionId]?.cutters.isEmpty == true { state.sessions[sessionId] = nil }
            }
        }
        return try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
    }

    /// Flags the session's PUTs, every one streaming now, and cuts each off.
    func cancel(_ sessionId: String) {
        let cutters = state.withLock { state -> [@Sendable () -> Void] in
            guard state.sessions[sessionId] != nil else { return [] }
            state.sessions[sessionId]?.cancelled = true
            return state.sessions[sessionId].map { Array($0.cutters.values) } ?? []
        }
        for cut in cutters { cut() }
    }

    func isCancelled(_ sessionId: String) -> Bool { state.withLock { $0.sessions[sessionId]?.cancelled ?? false } }
}

/// The base URL the server hands out in signed and final URLs.
final class PublicBase: Sendable {
    private let current: Mutex<String>

    /// Trailing slashes dropped: every URL handed out is this plus a path that starts with
    /// one, and finalize reads a final URL back by the same base (no `//cdn/`).
    init(_ value: String) { current = Mutex(Self.trimmed(value)) }

    var value: String { current.withLock { $0 } }

    func set(_ value: String) { current.withLock { $0 = Self.trimmed(value) } }

    private static func trimmed(_ value: String) -> String {
        var value = value
        while value.hasSuffix("/") { value.removeLast() }
        return value
    }

    /// `http://host:port` for a bound address; a wildcard bind is named by loopback,
    /// since a remote client needs `--public-url` anyway.
    static func forBound(host: String, port: Int) -> String {
        let reachable = switch host {
        case "0.0.0.0", "": "127.0.0.1"
        case "::", "[::]": "::1"
        default: host
        }
        return "http://" + (reachable.contains(":") ? "[\(reachable)]" : reachable) + ":\(port)"
    }
}
