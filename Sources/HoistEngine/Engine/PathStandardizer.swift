import Foundation

/// Makes paths absolute and standard: every link resolved where it leads (`realpath`), so
/// that `.`, `..` and doubled slashes go as the kernel reads them; a path that does not
/// exist (yet, or any more) keeps its last components, its existing directory resolved, or
/// is made standard by its text alone. Each directory is resolved once.
///
/// Not `NSString.standardizingPath`: on Linux it resolves a link with a relative target
/// against the wrong directory (`proj/current -> v2` became `./v2`, not `proj/v2`), so
/// hoist uploaded other files than the ones named, under the names asked for.
///
/// Resolving every component of every path costs a system call per component: queueing
/// 100,000 files of one directory spent a third of the TUI's CPU in Foundation's
/// resolution. A file that is not a link itself standardizes to its directory's standard
/// form plus its name, so siblings share the directory's (one `lstat` each). Keep one for
/// a batch of paths, not for long: it never notices a directory that becomes a link later.
struct PathStandardizer {
    /// Directory as given → its standard form.
    private var directories: [String: String] = [:]

    /// `path` (relative to the working directory unless it starts with `/`), standard.
    mutating func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        guard Self.isClean(full), let slash = full.lastIndex(of: "/"), slash != full.startIndex else {
            return Self.resolved(full) ?? Self.lexical(full)
        }
        var info = stat()
        let present = lstat(full, &info) == 0
        if present, (info.st_mode & S_IFMT) == S_IFLNK { return Self.resolved(full) ?? full }
        // Not a link (or not there): its directory's standard form and its own name.
        let directory = String(full[..<slash])
        let standard: String
        if let known = directories[directory] {
            standard = known
        } else {
            standard = Self.resolved(directory) ?? directory
            // Bounded: a walk over many directories keeps only the latest ones.
            if directories.count >= 256 { directories.removeAll(keepingCapacity: true) }
            directories[directory] = standard
        }
        // Already standard: the same string, so that a path the caller holds is not held
        // twice (the TUI's 100,000 queued paths were copied here, one allocation each).
        if standard == directory { return full }
        return (standard == "/" ? "" : standard) + full[slash...]
    }

    /// Where the absolute `path` leads, every link followed (nil when some component is
    /// missing or cannot be searched).
    static func resolved(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    /// The absolute `path` made standard by its text alone: `.` and empty components gone,
    /// each `..` taking the component before it; for a path that does not exist, where no
    /// link can be followed.
    static func lexical(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == ".." { _ = parts.popLast() } else { parts.append(part) }
        }
        return "/" + parts.joined(separator: "/")
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
