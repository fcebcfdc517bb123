import Foundation
import Hummingbird
import Synchronization

/// What every route shares: configuration, stores, signer and the uploads in flight.
struct ServerState: Sendable {
    let config: ServerConfiguration
    let store: SQLiteStore
    let blobs: DiskBlobStore
    let signer: URLSigner
    let inflight = InflightUploads()

    /// Now, to the millisecond: what SQLite keeps, so that a response built from memory
    /// and one read back later (an idempotent complete) say exactly the same.
    func now() -> Date {
        Date(millis: config.clock.now().millis)
    }

    /// The base of the URLs handed out: the configured one, or what the client called.
    func baseURL(for request: Request) -> String {
        if let base = config.publicBaseURL { return base }
        return "http://" + (request.head.authority ?? "\(config.host):\(config.port)")
    }

    /// Deletes blobs after the transaction that unlinked them has committed.
    func deleteBlobs(_ ids: [String?]) {
        for case let id? in ids { blobs.delete(id) }
    }
}

/// PUTs in progress, so that cancelling a session cuts off a body still streaming to it.
final class InflightUploads: Sendable {
    private let cancelled = Mutex<[String: Bool]>([:])

    /// Registers a PUT for `sessionId`; one PUT per session is tracked at a time.
    func begin(_ sessionId: String) { cancelled.withLock { $0[sessionId] = false } }

    func end(_ sessionId: String) { _ = cancelled.withLock { $0.removeValue(forKey: sessionId) } }

    /// Flags the session's PUT, if one is streaming.
    func cancel(_ sessionId: String) {
        cancelled.withLock { if $0[sessionId] != nil { $0[sessionId] = true } }
    }

    func isCancelled(_ sessionId: String) -> Bool { cancelled.withLock { $0[sessionId] ?? false } }
}
