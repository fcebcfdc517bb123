/// MIME types guessed from file extensions, for the create call and the PUT.
public enum MIMEType {
    private static let byExtension: [String: String] = [
        "txt": "text/plain", "text": "text/plain", "log": "text/plain", "vtt": "text/vtt",
        "md": "text/markdown", "markdown": "text/markdown", "csv": "text/csv",
        "json": "application/json", "pdf": "application/pdf", "html": "text/html", "htm": "text/html",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp",
        "gif": "image/gif", "svg": "image/svg+xml", "tif": "image/tiff", "tiff": "image/tiff",
        "mp4": "video/mp4", "glb": "model/gltf-binary", "gltf": "model/gltf+json", "fbx": "application/octet-stream",
        "zip": "application/zip", "gz": "application/gzip", "tar": "application/x-tar",
        "mp3": "audio/mpeg", "wav": "audio/wav", "mov": "video/quicktime", "xml": "application/xml",
    ]

    /// The lower-cased extension of `name` (after the last dot), or "" when there is none.
    public static func fileExtension(of name: String) -> String {
        let base = name.split(separator: "/").last.map(String.init) ?? name
        guard let dot = base.lastIndex(of: "."), dot != base.startIndex else { return "" }
        return base[base.index(after: dot)...].lowercased()
    }

    /// The MIME type for `name`, `application/octet-stream` when unknown.
    public static func forFile(_ name: String) -> String {
        byExtension[fileExtension(of: name)] ?? "application/octet-stream"
    }
}
