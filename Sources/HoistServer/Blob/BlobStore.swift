import Foundation
import Hummingbird

/// Where a server's bytes live and how clients reach them. The routes know only this;
/// `DiskBlobs` (the data directory, the embedded default) and `S3Blobs` (a bucket clients
/// PUT to directly) implement it.
///
/// The two differ in who receives the bytes: on disk the server's own storage URLs do, and
/// the object is recorded as the PUT ends; on S3 the server never sees them and learns of
/// them by asking the bucket (`settle`) when a session is completed, finalized, fetched or
/// swept.
protocol BlobStore: Sendable {
    /// Whether every upload URL must require `if-none-match: *`, so that the store itself
    /// refuses a second PUT to a session's key. A presigned S3 URL cannot be revoked: without
    /// it, replaying a completed session's URL would replace the bytes its download serves.
    /// The disk store's own storage route refuses any PUT to a finished session instead.
    var refusesSecondPUT: Bool { get }
    /// Whether a blob id names a place the session's next PUT fills again (an S3 key), not
    /// one set of bytes (a disk blob's random id). Then a complete that discards the bytes
    /// keeps the object's record, marked, until they are deleted: dropped at once, another
    /// complete could record the same bytes again before the delete and answer 200 for a
    /// file whose bytes the delete then takes.
    var reusesBlobIDs: Bool { get }
    /// The URL `session`'s bytes are PUT to, valid while the session is, requiring `headers`.
    func uploadURL(for session: SessionRecord, headers: [(String, String)]) throws -> String
    /// A URL that downloads `object` (of `session`) until `expires`.
    func downloadURL(for session: SessionRecord, object: ObjectRecord, expires: Date) throws -> String
    /// Records the bytes `session`'s PUT left, if the metadata store has not seen them.
    func settle(_ session: SessionRecord) async throws
    /// As `settle`, for each pending session of `key` (of `userId` when given, the newest
    /// five) whose PUT landed: a Luw name's last PUT wins, whichever session made it.
    func settleLatest(objectKey key: String, userId: String?) async throws
    /// Makes the Luw object at `key` (of `userId`) permanent, as
    /// ``MetadataStore/finalize(objectKey:userId:now:checking:)`` does, after making sure no
    /// upload URL can write its bytes again; true when this call completed its session.
    func finalize(objectKey key: String, userId: String, now: Date) async throws -> Bool
    /// The answer to a Luw final URL for `object`, to a request with `headers` (its `Range`).
    func serveFinal(_ object: ObjectRecord, filename: String, request headers: HTTPFields) async throws -> Response
    /// Deletes one blob; whether it is gone now (a DELETE the store refused or never
    /// answered: false, and left to the sweeper).
    func deleteOne(_ id: String) async -> Bool
    /// Drops whatever cancelled session `id`'s URL may have placed.
    func discard(session id: String) async
    /// The sweeper's turn at a discard mark its complete left (``SweepOutcome/discarded``):
    /// deletes the bytes it marked if they are still there; true when the mark may go.
    func clearDiscard(_ mark: ObjectRecord) async -> Bool
    /// The sweeper's turn at sessions that ended unfinished and whose URLs have expired.
    /// Returns the ids it dealt with, which the sweeper then marks; the others come again.
    func settleEnded(_ ids: [String]) async -> [String]
    func shutdown() async
}

extension BlobStore {
    /// Deletes blobs after the transaction that unlinked them has committed.
    func delete(_ ids: [String?]) async {
        for case let id? in ids { _ = await deleteOne(id) }
    }
}

/// Blobs in the data directory, received by the server's own signed storage URLs.
struct DiskBlobs: BlobStore {
    let disk: DiskBlobStore
    let store: any MetadataStore
    let gate: StorageGate
    let base: PublicBase

    var refusesSecondPUT: Bool { false }
    var reusesBlobIDs: Bool { false }

    func uploadURL(for session: SessionRecord, headers: [(String, String)]) throws -> String {
        gate.url(base: base.value, method: "PUT", sessionId: session.id, name: session.filename, expires: session.expiresAt,
                 headers: headers)
    }

    func downloadURL(for session: SessionRecord, object: ObjectRecord, expires: Date) throws -> String {
        gate.url(base: base.value, method: "GET", sessionId: session.id, name: session.filename, expires: expires, headers: [])
    }

    /// The storage route recorded the object when its PUT ended.
    func settle(_ session: SessionRecord) async throws {}
    func settleLatest(objectKey key: String, userId: String?) async throws {}

    /// The storage route refuses any PUT to a finalized (completed) session, so the bytes
    /// stay where they are.
    func finalize(objectKey key: String, userId: String, now: Date) async throws -> Bool {
        try await store.finalize(objectKey: key, userId: userId, now: now, checking: nil) == .finalized(fresh: true)
    }

    func serveFinal(_ object: ObjectRecord, filename: String, request headers: HTTPFields) async throws -> Response {
        do {
            return try await finalResponse(object, filename: filename, request: headers)
        } catch let error as APIError where error.status == .notFound {
            // A PUT to the same name committed after the route read the object, and its
            // bytes (kept body or file) went with it: the URL serves the name's latest
            // bytes, as it would a moment later. Once: a name replaced again meanwhile is
            // answered 404.
            guard let current = try await store.object(at: object.objectKey), current.blobId != object.blobId else { throw error }
            return try await finalResponse(current, filename: filename, request: headers)
        }
    }

    private func finalResponse(_ object: ObjectRecord, filename: String, request: HTTPFields) async throws -> Response {
        var response = try await ObjectResponse.make(object, filename: filename, blobs: disk, store: store, request: request)
        if let cache = object.cacheControl { response.headers[.cacheControl] = cache }
        if let expires = object.expiresHeader { response.headers[.expires] = expires }
        return response
    }

    func deleteOne(_ id: String) async -> Bool {
        disk.delete(id)
        return true
    }

    /// Bytes reach disk only through a storage URL, which refuses a cancelled session.
    func discard(session id: String) async {}
    /// A disk blob's id names one set of bytes, so a complete drops its record at once and
    /// leaves no mark; one found anyway is deleted with its blob.
    func clearDiscard(_ mark: ObjectRecord) async -> Bool {
        await deleteOne(mark.blobId)
    }
    /// The sweep already deleted the blobs of ended sessions with their objects.
    func settleEnded(_ ids: [String]) async -> [String] { ids }
    func shutdown() async {}
}
