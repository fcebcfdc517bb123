import Foundation

/// Makes paths absolute and standard exactly as `NSString.standardizingPath` does (`.`,
/// `..` and doubled slashes gone, links with absolute targets resolved), each directory once.
///
/// Foundation resolves links by reading every component of every path, in Swift: queueing
/// 100,000 files of one directory spent a third of the TUI's CPU there. A file that is not
/// a link itself standardizes to its directory's standard form plus its name, so siblings
/// share the directory's (one `lstat` each); anything else goes through Foundation as before.
/// Keep one for a batch of paths, not for long: it never notices a directory that becomes
/// a link later.
struct PathStandardizer {
    /// Directory as given → its standard form.
    private var directories: [String: String] = [:]

    /// `path` (relative to the working directory unless it starts with `/`), standard.
    mutating func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        guard Self.isClean(full), let slash = full.lastIndex(of: "/"), slash != full.startIndex else {
            return (full as NSString).standardizingPath
        }
        var info = stat()
        guard lstat(full, &info) == 0, (info.st_mode & S_IFMT) != S_IFLNK else { return (full as NSString).standardizingPath }
        let directory = String(full[..<slash])
        let standard: String
        if let known = directories[directory] {
            standard = known
        } else {
            standard = (directory as NSString).standardizingPath
            // Bounded: a walk over many directories keeps only the latest ones.
            if directories.count >= 256 { directories.removeAll(keepingCapacity: true) }
            directories[directory] = standard
        }
        // Already standard: the same string, so that a path the caller holds is not held
        // twice (the TUI's 100,000 queued paths were copied here, one allocation each).
        if standard == directory { return full }
        return (standard == "/" ? "" : standard) + full[slash...]
    }

    /// Whether the absolute `path` has no `.` or `..` component, no empty one (`//`) and no
    /// trailing slash: nothing lexical for the standard form to fix.
    static func isClean(_ path: String) -> Bool {
        guard path != "/" else { return true }
        return !path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst().contains {
            $0.isEmpty || $0.elementsEqual(".".utf8) || $0.elementsEqual("..".utf8)
        }
    }
}
