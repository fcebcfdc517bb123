/// Lightfield's name stamping for knowledge uploads: `playbook.md` → `playbook_1713045600000.md`.
enum NameStamp {
    /// True when `stored` is `requested` itself or `requested` with an `_<digits>` stamp
    /// before its last extension. A name the stamp would take past 255 bytes is stored
    /// with the part before the stamp shortened: then that part need only begin `requested`.
    static func matches(stored: String, requested: String) -> Bool {
        if stored == requested { return true }
        let (base, ext) = split(requested)
        guard stored.hasSuffix(ext) else { return false }
        let unstamped = stored.dropLast(ext.count)
        guard let underscore = unstamped.lastIndex(of: "_") else { return false }
        let digits = unstamped[unstamped.index(after: underscore)...]
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        let stem = unstamped[..<underscore]
        if stem == base { return true }
        let shortened = requested.utf8.count + 1 + digits.utf8.count > 255
        return shortened && base.hasPrefix(stem)
    }

    /// `archive.tar.gz` → (`archive.tar`, `.gz`); `README` → (`README`, ``).
    private static func split(_ name: String) -> (String, String) {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return (name, "") }
        return (String(name[..<dot]), String(name[dot...]))
    }
}
