import Foundation

/// One job as the journal remembers it.
public struct JournalEntry: Sendable, Equatable {
    /// Where the job got to. An intent (`creating`, `uploading`, `completing`, `cancelling`)
    /// is written before the network call it names; the next state after its answer.
    public enum State: String, Sendable, Equatable, CaseIterable {
        case queued, creating, uploading, completing, completed, cancelling, cancelled, failed

        /// Completed, cancelled or failed: nothing left to do for this row.
        public var isFinal: Bool { self == .completed || self == .cancelled || self == .failed }
    }

    public var rowID: Int64
    public var endpoint: String
    public var file: FileIdentity
    public var state: State
    /// The name sent with the last create call.
    public var requestedName: String?
    /// The name the file was given when it was queued (its path below the directory named,
    /// as ``JobRunner/Job/remoteName``, before a dialect's prefix), so that a run taking the
    /// row over uploads it under the same name; nil for rows of an older hoist.
    public var name: String?
    /// When the current intent was written (wall clock, as the server stamps `createdAt`).
    public var intentAt: Date?
    public var session: RemoteSession?
    public var md5: String?
    public var error: String?

    public init(
        rowID: Int64, endpoint: String, file: FileIdentity, state: State, requestedName: String? = nil,
        intentAt: Date? = nil, session: RemoteSession? = nil, md5: String? = nil, error: String? = nil, name: String? = nil
    ) {
        self.name = name
        self.rowID = rowID
        self.endpoint = endpoint
        self.file = file
        self.state = state
        self.requestedName = requestedName
        self.intentAt = intentAt
        self.session = session
        self.md5 = md5
        self.error = error
    }
}
