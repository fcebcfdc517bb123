/// The rules of completing a Lightfield session, the same for every metadata store: what
/// the session's state decides, then what its stored object does. Stores read, lock, apply
/// and record; the rules live once, here.
enum CompleteRules {
    /// The answer the session's state gives by itself, or nil when it is PENDING and its
    /// object must be looked at.
    static func answer(for session: SessionRecord, given: String?) -> CompleteOutcome? {
        switch session.status {
        case .completed:
            if let given, given.lowercased() != session.md5 { return .rejected(.checksumConflict(), discardedBlob: nil) }
            return .completed(session, fresh: false)
        case .expired: return .rejected(.sessionExpired(), discardedBlob: nil)
        case .cancelled: return .rejected(.notPending(session.status.rawValue), discardedBlob: nil)
        case .pending: return nil
        }
    }

    /// Whether `object` is the record of bytes a complete discarded, kept until they are
    /// deleted (a Lightfield object has a `deleteAt` for nothing else): no upload.
    static func isDiscarded(_ object: ObjectRecord) -> Bool { object.deleteAt != nil }

    /// Why `object` cannot complete `session` (a size other than declared, an md5 other than
    /// given), or nil when it can.
    static func mismatch(of object: ObjectRecord, for session: SessionRecord, given: String?) -> APIError? {
        if let declared = session.sizeBytes, declared != object.size {
            return .sizeMismatch(declared: declared, stored: object.size)
        }
        if let given, given.lowercased() != object.md5 {
            return .checksumMismatch(expected: given.lowercased(), actual: object.md5)
        }
        return nil
    }
}
