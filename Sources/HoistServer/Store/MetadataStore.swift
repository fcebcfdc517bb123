import SigV4
import Crypto
import Foundation

/// The server's metadata: keys, personas, sessions, the objects they stored and an event
/// log. The routes know only this protocol; `SQLiteStore` (one data directory, the
/// embedded default) and `PostgresStore` (shared by any number of instances) implement it.
///
/// Every method that changes state returns only after the change is committed, as API.md
/// requires of every response that reports one.
protocol MetadataStore: Sendable {
    /// The HMAC secret this store keeps for signed URLs, made by its first migration.
    /// `--secret-file` / `HOIST_SECRET` override it.
    func signingSecret() async throws -> Data

    /// Every session this store expires (the sweeper's, and those found past their time by
    /// any other call), reported once committed.
    var expiries: ExpiryReports { get }

    /// Stores a new key (hashed) for `user`, creating the user when it is new; without a
    /// user the key becomes a user of its own. Personas must not belong to another user.
    func insertKey(_ key: String, user: String?, scopes: [String], role: String, personas: [Int64], now: Date) async throws
    /// The key whose SHA-256 is that of `key`, if any.
    func keyRecord(for key: String) async throws -> KeyRecord?
    /// Every key, oldest first (`hoist keys list`).
    func allKeys() async throws -> [KeyRecord]
    /// Deletes the key whose id is `id` or whose stored hash is `hash`; its id, nil when
    /// there was none. Its user and the user's files stay.
    func deleteKey(id: String, hash: String) async throws -> String?
    /// The user a persona belongs to.
    func personaOwner(_ pid: Int64) async throws -> String?

    func insertSession(_ session: SessionRecord) async throws
    /// Inserts the first of `make(0)`, `make(1)`, … whose object key no session holds, and
    /// returns it. A knowledge name is stamped with its create's millisecond (`make(n)`:
    /// n milliseconds later): two creates of one name in the same millisecond would share
    /// its key, and the second could then never complete (the name taken by the first).
    func insertStampedSession(_ make: @escaping @Sendable (Int64) -> SessionRecord) async throws -> SessionRecord
    /// The session `id`, its status brought up to date with the clock.
    func session(id: String, now: Date) async throws -> SessionRecord?
    /// The session as it is now, read without suspending, for the `Expect: 100-continue`
    /// gate (which runs on an event loop); `.unknown` when the store cannot answer that way.
    func sessionWithoutWaiting(id: String) -> SessionPeek
    /// Whether an object is stored under `key`, read as ``sessionWithoutWaiting(id:)`` is;
    /// nil when the store cannot answer that way.
    func objectExistsWithoutWaiting(key: String) -> Bool?
    /// Completes a Lightfield session: checks the stored bytes against the declared size
    /// and the optional md5; a mismatch discards the bytes and leaves the session pending.
    /// `markingDiscards` (``BlobStore/reusesBlobIDs``): a discarded object's record stays,
    /// due for deletion (`deleteAt`), and counts as no upload until
    /// ``dropDiscarded(objectKey:sessionId:blobId:)`` removes it once its bytes are gone (or
    /// the sweep deletes both).
    func complete(id: String, md5 given: String?, now: Date, markingDiscards: Bool) async throws -> CompleteOutcome
    /// Removes the record a complete marked discarded (`markingDiscards`), if it is still that one.
    func dropDiscarded(objectKey: String, sessionId: String, blobId: String) async throws
    /// The sweeper's turn at discard marks (``SweepOutcome/discarded``), one instance at a
    /// time: for each mark that still stands, `clear` deletes its bytes if they are still
    /// the marked ones (true when the mark may go), and the mark is dropped. With another
    /// instance clearing now, returns having done nothing: its sweep read these marks too,
    /// and a later sweep reads whatever it left.
    ///
    /// Why both rules: two instances that HEAD one mark's bytes at once could both find
    /// them, and the slower one's DELETE would then take a PUT that the faster one's drop
    /// let in and a complete recorded; a sweep whose marks were read before another's drop
    /// would do the same.
    func clearDiscardMarks(_ marks: [ObjectRecord], _ clear: @escaping @Sendable (ObjectRecord) async -> Bool) async throws
    /// Cancels a pending session and drops any bytes it stored; returns the session and
    /// the blob to delete.
    func cancel(id: String, now: Date) async throws -> (SessionRecord, String?)
    /// A page of `userId`'s Lightfield files, newest first, after `cursor`.
    func listFiles(userId: String, status: SessionStatus?, limit: Int, after cursor: ListCursor?, now: Date) async throws
        -> [SessionRecord]

    /// Makes `body` the object of `sessionId`'s key, if the session still accepts bytes
    /// (or, with `acceptingExpired`, has expired: a Luw PUT to S3 first seen by the sweeper).
    /// Returns the blob it replaced, which the caller deletes after the commit.
    ///
    /// `keepingNewer`: the PUT happened at `now`, learnt late (S3 blobs, found by a HEAD):
    /// when the object at the key is from a later PUT of another session, it stays and this
    /// throws ``APIError/supersededUpload()``. The last PUT wins, not the last one noticed.
    func storeUpload(sessionId: String, body: StoredBody, requireAbsent: Bool, acceptingExpired: Bool, keepingNewer: Bool,
                     now: Date) async throws -> String?
    /// The object visible at `key`.
    func object(at key: String) async throws -> ObjectRecord?
    /// The sessions that target `key` whose bytes may still be recorded, newest first, at
    /// most `limit`: the pending ones, and the Luw ones that expired and that the sweeper
    /// has not yet dealt with (a PUT before the expiry counts, as on disk).
    func adoptableSessions(objectKey key: String, limit: Int) async throws -> [SessionRecord]
    /// Makes the Luw object at `key` permanent (or keeps its temporary deadline) and completes
    /// its session. With `check`, only while the object is still the one the caller read
    /// (none, or the same session, blob, md5 and size), and then pointing it at
    /// `check.moveTo` when given (a copy of its bytes), in the same transaction; otherwise
    /// nothing changes and the answer is ``FinalizeOutcome/blobChanged``, for the caller to
    /// read again.
    func finalize(objectKey key: String, userId: String, now: Date, checking check: FinalizeCheck?) async throws -> FinalizeOutcome
    /// Expires overdue sessions and deletes objects whose time is up; returns the blobs to
    /// delete. With several instances on one store, one sweep runs at a time and the others
    /// return an empty outcome.
    func sweep(now: Date) async throws -> SweepOutcome
    /// Notes a sealed copy (a Luw finalize's, in an S3 bucket) before it is made, so that one
    /// whose finalize never commits is found by the sweep (``SweepOutcome/abandonedCopies``);
    /// also one whose DELETE failed. A copy noted already keeps its first time.
    func noteSealedCopy(_ blobId: String, now: Date) async throws
    /// Forgets noted copies: recorded by their finalize, or deleted.
    func forgetSealedCopies(_ blobIds: [String]) async throws
    /// Marks ended sessions whose keys the blob store has dealt with, so that no sweep
    /// reports them again (``SweepOutcome/endedSessions``).
    func markSwept(_ ids: [String]) async throws
    /// Every blob id an object points at.
    func referencedBlobIds() async throws -> Set<String>
    /// The largest body this store keeps itself, in the commit that records its object
    /// (``StoredBody/bytes``); nil when it keeps none.
    var smallBodyLimit: Int? { get }
    /// The bytes of a body it keeps (a blob id with ``DiskBlobStore/inlinePrefix``).
    func smallBody(blobId: String) async throws -> Data?
    /// Releases the store's connections.
    func close() async
}

extension MetadataStore {
    /// One mark's turn, whatever keeps the turns apart: looked up again (a sweep's list may
    /// be older than another's drop), its bytes cleared by `clear` if they are still the
    /// marked ones, then dropped.
    func clearMark(_ mark: ObjectRecord, _ clear: @Sendable (ObjectRecord) async -> Bool) async throws {
        guard try await object(at: mark.objectKey)?.isStill(mark) == true, await clear(mark) else { return }
        try await dropDiscarded(objectKey: mark.objectKey, sessionId: mark.sessionId, blobId: mark.blobId)
    }
}

/// What a finalize must still find at the object's key, and where its bytes go.
struct FinalizeCheck: Sendable, Equatable {
    /// The object as the caller read it; nil: there was none.
    var expected: ObjectIdentity?
    /// A copy of its bytes to point the object at.
    var moveTo: String?
}

/// Which bytes an object is: whose, where, and what they hash to.
struct ObjectIdentity: Sendable, Equatable {
    var sessionId: String
    var blobId: String
    var md5: String
    var size: Int64
}

/// What a finalize did.
enum FinalizeOutcome: Sendable, Equatable {
    /// Done; `fresh` when this call completed the session rather than repeating a finalize.
    case finalized(fresh: Bool)
    /// The object was not the one the check expected: nothing changed.
    case blobChanged
}

/// What a store can say about a session without waiting.
enum SessionPeek: Sendable {
    case known(SessionRecord?)
    /// The store answers only asynchronously: the gate checks what the URL itself proves
    /// and leaves the session's state to the route.
    case unknown
}

/// Where the server keeps its metadata.
public enum MetadataLocation: Sendable, Equatable {
    /// `hoist.sqlite` in the data directory: one instance.
    case sqlite
    /// A PostgreSQL database, `postgres://user:password@host:port/database`: any number.
    case postgres(String)

    /// `--database`, else `HOIST_DATABASE_URL`, else SQLite.
    public static func from(_ flag: String?, environment: [String: String]) -> MetadataLocation {
        guard let url = flag ?? environment["HOIST_DATABASE_URL"], !url.isEmpty else { return .sqlite }
        return .postgres(url)
    }
}

/// Key digests: keys are long random strings, so one round of SHA-256 is as safe as a slow
/// hash and lets a key be found by its digest.
enum KeyDigest {
    static func of(_ key: String) -> String {
        Hex.encode(SHA256.hash(data: Data(key.utf8)))
    }
}
