/// What each Lightfield purpose accepts: MIME types, a size limit, whether names are
/// stamped and whether the caller must be an admin.
public struct PurposeRule: Sendable, Equatable {
    /// Allowed MIME types; `nil` allows any.
    public var mimeTypes: Set<String>?
    /// The largest `sizeBytes` accepted.
    public var maxBytes: Int64
    /// Knowledge purposes stamp names and never overwrite (`if-none-match: *`).
    public var isKnowledge: Bool
    /// Whether the caller's key needs the `admin` role.
    public var requiresAdmin: Bool
    /// Whether files belong to the organisation rather than the user who created them.
    public var isShared: Bool

    public init(mimeTypes: Set<String>?, maxBytes: Int64, isKnowledge: Bool = false,
                requiresAdmin: Bool = false, isShared: Bool = false) {
        self.mimeTypes = mimeTypes
        self.maxBytes = maxBytes
        self.isKnowledge = isKnowledge
        self.requiresAdmin = requiresAdmin
        self.isShared = isShared
    }
}

/// The purposes the Lightfield dialect knows, by name.
public struct PurposePolicy: Sendable, Equatable {
    public var rules: [String: PurposeRule]

    public init(rules: [String: PurposeRule]) { self.rules = rules }

    /// Whether `session`'s name must be free when its bytes are recorded: a knowledge
    /// upload's. Decided by its purpose, not by its `if-none-match` header, which on S3
    /// every session's URL carries.
    func requiresFreeName(_ session: SessionRecord) -> Bool {
        session.dialect == .lightfield && session.purpose.flatMap { rules[$0] }?.isKnowledge == true
    }

    static let mib: Int64 = 1 << 20
    static let knowledgeTypes: Set<String> = [
        "text/plain", "text/markdown", "text/csv", "application/pdf", "application/json",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ]

    /// The limits of API.md: the seed's three purposes plus the local `general` one.
    public static let standard = PurposePolicy(rules: [
        "meeting_transcript": PurposeRule(
            mimeTypes: ["text/plain", "text/vtt", "application/json"], maxBytes: 50 * mib),
        "knowledge_user": PurposeRule(mimeTypes: knowledgeTypes, maxBytes: 100 * mib, isKnowledge: true),
        "knowledge_workspace": PurposeRule(
            mimeTypes: knowledgeTypes, maxBytes: 100 * mib, isKnowledge: true, requiresAdmin: true, isShared: true),
        "general": PurposeRule(mimeTypes: nil, maxBytes: 5 * 1024 * mib),
    ])
}
