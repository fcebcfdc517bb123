/// The checks a service would make, run locally before any network call.
///
/// Failing early saves a round trip and gives a clearer message; the server checks again.
public struct UploadRules: Sendable, Equatable {
    /// One Lightfield purpose: accepted MIME types (nil = any) and the size limit.
    public struct Purpose: Sendable, Equatable {
        public var mimeTypes: Set<String>?
        public var maxBytes: Int64
        public init(mimeTypes: Set<String>?, maxBytes: Int64) {
            self.mimeTypes = mimeTypes
            self.maxBytes = maxBytes
        }
    }

    public var purposes: [String: Purpose]
    /// Luw's supported extensions.
    public var luwExtensions: Set<String>

    public init(purposes: [String: Purpose], luwExtensions: Set<String>) {
        self.purposes = purposes
        self.luwExtensions = luwExtensions
    }

    private static let mib: Int64 = 1 << 20
    private static let knowledge: Set<String> = [
        "text/plain", "text/markdown", "text/csv", "application/pdf", "application/json",
        MIMEType.forFile("x.docx"), MIMEType.forFile("x.xlsx"), MIMEType.forFile("x.pptx"),
    ]

    /// The limits API.md documents.
    public static let standard = UploadRules(
        purposes: [
            "meeting_transcript": Purpose(mimeTypes: ["text/plain", "text/vtt", "application/json"], maxBytes: 50 * mib),
            "knowledge_user": Purpose(mimeTypes: knowledge, maxBytes: 100 * mib),
            "knowledge_workspace": Purpose(mimeTypes: knowledge, maxBytes: 100 * mib),
            "general": Purpose(mimeTypes: nil, maxBytes: 5 * 1024 * mib),
        ],
        luwExtensions: ["jpg", "jpeg", "png", "webp", "gif", "svg", "tif", "tiff", "mp4", "glb", "gltf", "fbx"])

    /// S3's largest object (and 10,000 parts of the largest part size reach it).
    public static let s3MaximumObject: Int64 = 5 << 40

    /// Throws the error the destination would give for this file, or returns its MIME type.
    /// What each dialect refuses is the dialect's (``UploadDialect/refusal(name:size:mimeType:rules:)``).
    public func validate(name: String, size: Int64, profile: Profile) throws(EngineError) -> String {
        try validate(name: name, size: size, dialect: profile.dialect.implementation(for: profile))
    }

    /// ``validate(name:size:profile:)`` with the dialect already made (the engine keeps
    /// one, rather than making it again for every file it queues).
    func validate(name: String, size: Int64, dialect: any UploadDialect) throws(EngineError) -> String {
        let mime = MIMEType.forFile(name)
        if let refusal = dialect.refusal(name: name, size: size, mimeType: mime, rules: self) { throw refusal }
        return mime
    }
}
