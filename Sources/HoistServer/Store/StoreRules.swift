import Foundation

/// The rules of recording a PUT's body as its session's object, the same for every metadata
/// store (``MetadataStore/storeUpload(sessionId:body:requireAbsent:acceptingExpired:keepingNewer:now:)``).
/// Stores read, lock, ask here and write; the rules live once, as `CompleteRules`' do.
enum StoreRules {
    /// Throws unless `session` may take a body: PENDING, or expired where `acceptingExpired`
    /// (a Luw PUT to S3 that the sweeper found after the URL ran out).
    static func checkTakesBody(_ session: SessionRecord, acceptingExpired: Bool) throws {
        switch session.status {
        case .pending: break
        case .expired where acceptingExpired: break
        case .expired: throw APIError.urlExpired()
        case .completed, .cancelled: throw APIError.notPending(session.status.rawValue)
        }
    }

    /// Whether `body` is to be written over `existing`, the object at the session's key.
    /// False when that is this session's same body already (concurrent completes each
    /// noticed one S3 PUT): nothing changes, and no second "stored" event. Throws when a
    /// knowledge upload's name is taken (`requireAbsent`), or when `keepingNewer` and the
    /// object is a later PUT of another session.
    static func shouldWrite(_ body: StoredBody, of session: SessionRecord, over existing: ObjectRecord?,
                            requireAbsent: Bool, keepingNewer: Bool, now: Date) throws -> Bool {
        if let existing, existing.sessionId == session.id, existing.blobId == body.blobId, existing.md5 == body.md5,
           existing.size == body.size {
            return false
        }
        if requireAbsent, existing != nil { throw APIError.preconditionFailed() }
        if keepingNewer, let existing, existing.sessionId != session.id, existing.storedAt > now { throw APIError.supersededUpload() }
        return true
    }
}
