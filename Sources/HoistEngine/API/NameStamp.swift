/// Lightfield's name stamping for knowledge uploads: `playbook.md` → `playbook_1713045600000.md`.
enum NameStamp {
    /// True when `stored` is `requested` itself or `requested` with an `_<digits>` stamp
    /// before its last extension.
    static func matches(stored: String, requested: String) -> Bool {
        if stored == requested { return true }
        let (base, ext) = split(requested)
        guard stored.hasPrefix(base + "_"), stored.hasSuffix(ext) else { return false }
        let middle = stored.dropFirst(base.count + 1).dropLast(ext.count)
        return !middle.isEmpty && middle.allSatisfy(\.isASCII) && middle.allSatisfy(\.isNumber)
    }

    /// `archive.tar.gz` → (`archive.tar`, `.gz`); `README` → (`README`, ``).
    private static func split(_ name: String) -> (String, String) {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return (name, "") }
        return (String(name[..<dot]), String(name[dot...]))
    }
}
