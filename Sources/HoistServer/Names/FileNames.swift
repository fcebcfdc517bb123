import Foundation

/// File-name rules shared by both dialects: sanitising, stamping and types by extension.
enum FileNames {
    /// `name` made safe to store and to put in a URL path, or an error when it cannot be.
    ///
    /// Names are never used as paths on disk (blobs are stored by id), but they appear in
    /// URLs and downloads, so anything that could act as a path or a control sequence is
    /// refused rather than silently rewritten.
    static func sanitize(_ raw: String) throws(APIError) -> String {
        // ASCII is already in canonical composition (NFC); Foundation's normalization goes
        // through NSString even then.
        let composed = raw.utf8.allSatisfy { $0 < 0x80 } ? raw : raw.precomposedStringWithCanonicalMapping
        let name = composed.trimmingWhitespace()
        guard !name.isEmpty else { throw .invalidFilename("the file name is empty") }
        guard name.utf8.count <= maximumBytes else { throw .invalidFilename("the file name is longer than 255 bytes") }
        guard name != ".", name != ".." else { throw .invalidFilename("\(name) is not a file name") }
        // Scalars, not Characters: "/" followed by a combining mark is one Character that is
        // not "/", yet a browser or shell still sees the slash.
        if name.unicodeScalars.contains(where: { $0 == "/" || $0 == "\\" }) {
            throw .invalidFilename("the file name must not contain a path separator")
        }
        if name.unicodeScalars.contains(where: isControl) {
            throw .invalidFilename("the file name must not contain control characters")
        }
        // Format characters (bidi overrides such as U+202E, zero-width characters) make a
        // name read differently from what it is: `invoice\u{202E}fdp.exe` shows as
        // `invoiceexe.pdf`. Line and paragraph separators break a name over lines.
        // Default-ignorable scalars (U+3164 HANGUL FILLER, U+115F, U+034F) draw nothing
        // either: `\u{3164}.png` reads as `.png`. Variation selectors are let through: they
        // only choose how the character before them is drawn (`❤️.png` carries U+FE0F).
        if let hidden = name.unicodeScalars.first(where: {
            Self.hiddenCategories.contains($0.properties.generalCategory)
                || ($0.properties.isDefaultIgnorableCodePoint && !Self.isVariationSelector($0))
        }) {
            throw .invalidFilename(
                "the file name must not contain invisible or direction-changing characters (U+\(String(hidden.value, radix: 16, uppercase: true)))")
        }
        return name
    }

    private static func isVariationSelector(_ scalar: Unicode.Scalar) -> Bool {
        (0xFE00...0xFE0F).contains(scalar.value) || (0xE0100...0xE01EF).contains(scalar.value)
    }

    private static let hiddenCategories: Set<Unicode.GeneralCategory> = [.format, .lineSeparator, .paragraphSeparator]

    /// The extension after the last dot, lowercased; "" when there is none.
    static func fileExtension(_ name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return String(name[name.index(after: dot)...]).lowercased()
    }

    /// `name` with `_<millis>` before its last extension (`a.tar.gz` → `a.tar_<ms>.gz`),
    /// the part before it shortened (by whole characters; then the extension, were it
    /// longer than all the rest) so the stamped name stays within the 255 bytes every name
    /// is held to.
    static func stamp(_ name: String, millis: Int64) -> String {
        let stampText = "_\(millis)"
        let dot = name.lastIndex(of: ".").flatMap { $0 == name.startIndex ? nil : $0 }
        var stem = dot.map { name[..<$0] } ?? name[...]
        var suffix = dot.map { name[$0...] } ?? ""
        func length() -> Int { stem.utf8.count + stampText.utf8.count + suffix.utf8.count }
        while !stem.isEmpty, length() > maximumBytes { stem = stem.dropLast() }
        while !suffix.isEmpty, length() > maximumBytes { suffix = suffix.dropLast() }
        return "\(stem)\(stampText)\(suffix)"
    }

    /// The longest name, in UTF-8 bytes.
    static let maximumBytes = 255

    /// Whether `name` (as decoded from a URL) has no control character: a NUL would cut
    /// it short in a lookup and name another file. The same rule as `sanitize`'s.
    static func isPlain(_ name: String) -> Bool {
        !name.unicodeScalars.contains(where: isControl)
    }

    /// C0 and C1 controls and DEL.
    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .control || scalar.value == 0x7F
    }

    /// The Luw dialect's supported extensions and the type each implies.
    static let luwTypes: [String: String] = [
        "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp",
        "gif": "image/gif", "svg": "image/svg+xml", "tif": "image/tiff", "tiff": "image/tiff",
        "mp4": "video/mp4", "glb": "model/gltf-binary", "gltf": "model/gltf+json",
        "fbx": "application/octet-stream",
    ]
}

/// Knowledge names are stamped with their create's millisecond; two creates of one name in
/// the same millisecond take the next free one (``MetadataStore/insertStampedSession(_:)``).
enum StampedNames {
    /// Milliseconds tried from the create's own: a second's worth.
    static let tries: Int64 = 1000
}
