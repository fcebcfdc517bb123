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

/// PUTs in progress, so that cancelling a session cuts off a body still streaming to it.
final class InflightUploads: Sendable {
    /// The PUTs streaming to each session, and whether the session was cancelled meanwhile.
    /// Counted, not one flag per session: a second PUT to the same session that began and
    /// ended while the first streamed took the first's flag with it, and the cancel then
    /// found nothing to cut off.
    private struct Streaming {
        var count = 0
        var cancelled = false
    }

    private let sessions = Mutex<[String: Streaming]>([:])

    /// Registers a PUT for `sessionId`; every one is tracked until its ``end(_:)``.
    func begin(_ sessionId: String) { sessions.withLock { $0[sessionId, default: Streaming()].count += 1 } }

    func end(_ sessionId: String) {
        sessions.withLock { sessions in
            guard var streaming = sessions[sessionId] else { return }
            streaming.count -= 1
            sessions[sessionId] = streaming.count > 0 ? streaming : nil
        }
    }

    /// Flags the session's PUTs, every one streaming now.
    func cancel(_ sessionId: String) {
        sessions.withLock { if $0[sessionId] != nil { $0[sessionId]?.cancelled = true } }
    }

    func isCancelled(_ sessionId: String) -> Bool { sessions.withLock { $0[sessionId]?.cancelled ?? false } }
}

/// The base URL the server hands out in signed and final URLs.
final class PublicBase: Sendable {
    private let current: Mutex<String>

    init(_ value: String) { current = Mutex(value) }

    var value: String { current.withLock { $0 } }

    func set(_ value: String) { current.withLock { $0 = value } }

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
