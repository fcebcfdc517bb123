#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The regular files under a directory, in path order, read lazily: one directory's
/// listing at a time, so the first file comes after one `readdir` however large the tree,
/// and memory holds only the listings of the directories on the current path.
///
/// The order is exactly that of sorting every found path: each listing is sorted with a
/// directory's name followed by `/`, which is where its contents fall among full paths
/// (`a-b` < `a/x` < `a.b`... as `-` < `.` < `/`). Hidden entries are skipped, and so are
/// links: following them could loop, and a linked file is uploaded by naming it. A
/// directory that cannot be listed is an entry of its own, where its contents would be.
struct DirectoryWalk: Sequence, IteratorProtocol {
    enum Entry: Equatable {
        /// A regular file, as the listing saw it (the engine checks it again when it queues it).
        case file(String)
        /// A path that is refused where it stands, with why: a directory that cannot be
        /// listed, or an entry whose name is not UTF-8 (no path string can name it: Swift
        /// would repair it into another name; shown with U+FFFD).
        case refused(String, EngineError)
    }

    /// What a listed child is.
    private enum Kind { case file, directory, unnamable }

    /// One directory's path and its remaining children, sorted, as (name, kind): names, not
    /// paths, so a listing of 100,000 short names costs no string of its own each.
    private var stack: [(directory: String, children: [(String, Kind)], next: Int)] = []
    private var pendingRoot: String?

    init(_ directory: String) { pendingRoot = directory }

    /// `name` in `directory`: `/etc`, not `//etc`, below the root.
    private static func join(_ directory: String, _ name: String) -> String {
        directory == "/" ? "/" + name : directory + "/" + name
    }

    mutating func next() -> Entry? {
        if let root = pendingRoot {
            pendingRoot = nil
            if let failure = enter(root) { return failure }
        }
        while !stack.isEmpty {
            let top = stack.count - 1
            guard stack[top].next < stack[top].children.count else {
                stack.removeLast()
                continue
            }
            let (name, kind) = stack[top].children[stack[top].next]
            let path = Self.join(stack[top].directory, name)
            stack[top].next += 1
            if kind == .unnamable { return .refused(path, .unnamable(path)) }
            if kind == .directory {
                if let failure = enter(path) { return failure }
                continue
            }
            return .file(path)
        }
        return nil
    }

    /// Lists `directory` onto the stack; the entry to report when it cannot be listed.
    private mutating func enter(_ directory: String) -> Entry? {
        guard let handle = opendir(directory) else {
            return .refused(directory, .unreadableDirectory(directory, String(cString: strerror(errno))))
        }
        defer { closedir(handle) }
        var children: [(key: String, kind: Kind)] = []
        // The listing's own type, so that a file costs no `lstat` here; `lstat` only when
        // the file system does not say (DT_UNKNOWN).
        while let entry = readdir(handle) {
            let (name, valid) = ListingName.of(entry)
            guard !name.hasPrefix(".") else { continue }
            var type = Int32(entry.pointee.d_type)
            // An unnamable entry's type is the listing's word: its repaired name cannot be
            // stat'ed, so one the listing does not type is refused too, not skipped unsaid.
            if type == Int32(DT_UNKNOWN), valid { type = Self.linkType(Self.join(directory, name)) }
            guard type == Int32(DT_DIR) || type == Int32(DT_REG) || (!valid && type == Int32(DT_UNKNOWN)) else { continue }
            let kind: Kind = !valid ? .unnamable : type == Int32(DT_DIR) ? .directory : .file
            children.append((kind == .directory ? name + "/" : name, kind))
        }
        children.sort { $0.key < $1.key }
        // The sort key of a directory is its name and `/`; the name is the key without it.
        stack.append((directory, children.map { ($0.kind == .directory ? String($0.key.dropLast()) : $0.key, $0.kind) }, 0))
        return nil
    }

    /// `path`'s type as a `DT_` value, the link itself not followed (DT_UNKNOWN when gone).
    private static func linkType(_ path: String) -> Int32 {
        var info = stat()
        guard lstat(path, &info) == 0 else { return Int32(DT_UNKNOWN) }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return Int32(DT_DIR)
        case S_IFREG: return Int32(DT_REG)
        default: return Int32(DT_UNKNOWN)
        }
    }
}
