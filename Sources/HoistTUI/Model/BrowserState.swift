import Foundation
import HoistEngine

/// A directory entry as the browser shows it.
///
/// Kept small: a listing of 100,000 files holds 100,000 of these. The path is made from
/// the directory (one string every entry of a listing shares) and the name when asked,
/// not stored, and the rare problem lives out of line: 64 bytes an entry, where a stored
/// path and an inline error took 144 and a string of its own.
public struct DirectoryEntry: Sendable, Equatable {
    public var name: String
    /// The directory the entry is in.
    public var directory: String
    public var size: Int64
    /// Modification time, to tell a file uploaded before from one changed since.
    public var mtimeNanos: Int64?
    public var isDirectory: Bool
    public var isSymlink: Bool
    private var problemBox: Problem?

    /// Why this cannot be uploaded here, checked before any network call (unreadable,
    /// empty, too large, a type the destination refuses); `nil` when it can.
    public var problem: EngineError? {
        get { problemBox?.error }
        set { problemBox = newValue.map(Problem.init) }
    }

    /// Immutable, so copies of an entry sharing it keep value semantics.
    private final class Problem: Sendable, Equatable {
        let error: EngineError
        init(_ error: EngineError) { self.error = error }
        static func == (lhs: Problem, rhs: Problem) -> Bool { lhs.error == rhs.error }
    }

    public init(name: String, directory: String, isDirectory: Bool, size: Int64, isSymlink: Bool = false,
                mtimeNanos: Int64? = nil, problem: EngineError? = nil) {
        self.name = name
        self.directory = directory
        self.isDirectory = isDirectory
        self.size = size
        self.isSymlink = isSymlink
        self.mtimeNanos = mtimeNanos
        self.problemBox = problem.map(Problem.init)
    }

    /// The entry named `name` at `path` (whose last component is `name`).
    public init(name: String, path: String, isDirectory: Bool, size: Int64, isSymlink: Bool = false,
                mtimeNanos: Int64? = nil, problem: EngineError? = nil) {
        let parent = (path as NSString).deletingLastPathComponent
        self.init(name: name, directory: parent.isEmpty ? "/" : parent, isDirectory: isDirectory, size: size,
                  isSymlink: isSymlink, mtimeNanos: mtimeNanos, problem: problem)
    }

    /// The directory and the name of an absolute path, as an entry keeps them.
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return ("", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    /// The absolute path.
    public var path: String { directory == "/" ? "/" + name : directory + "/" + name }

    /// Whether this is the entry at `path`, byte for byte, without making its path.
    public func isAt(_ path: String) -> Bool {
        let bytes = path.utf8, separator = directory == "/" ? 0 : 1
        guard bytes.count == directory.utf8.count + separator + name.utf8.count, bytes.starts(with: directory.utf8) else {
            return false
        }
        let rest = bytes.dropFirst(directory.utf8.count)
        return (separator == 0 || rest.first == UInt8(ascii: "/")) && rest.dropFirst(separator).elementsEqual(name.utf8)
    }

    public var isHidden: Bool { name.hasPrefix(".") }
}

/// The file browser: the directory, its entries, the cursor, marks, hidden files and the
/// `/` filter.
public struct BrowserState: Sendable, Equatable {
    public var directory: String
    /// Every entry, directories first, then by name.
    public var entries: [DirectoryEntry] = [] { didSet { refreshVisible() } }
    public var showHidden = false { didSet { refreshVisible() } }
    /// The filter text; entries whose name contains it (case-insensitively) are shown.
    public var filter = "" { didSet { refreshVisible() } }
    /// Whether keys are being typed into the filter.
    public var isFiltering = false
    public var cursor = 0
    public var offset = 0
    /// Marked files; marks survive moving between directories.
    public var marks = Marks()
    /// Why the directory could not be read, if it could not.
    public var error: String?

    public init(directory: String) { self.directory = directory }

    /// The entries shown, after hidden files and the filter. Kept, not derived on each use:
    /// the view and every cursor move asked for it, which for a directory of 100,000 files
    /// was a filtered copy of them all per frame and per key.
    public private(set) var visible = VisibleEntries()

    private mutating func refreshVisible() {
        let showHidden = showHidden
        let matches = filter.isEmpty ? nil : NameCollation().matcher(for: filter)
        func shown(_ entry: DirectoryEntry) -> Bool {
            (showHidden || !entry.isHidden) && (matches?(entry.name) ?? true)
        }
        visible = VisibleEntries(entries, shown: shown)
    }

    /// The entry under the cursor.
    public var current: DirectoryEntry? {
        let shown = visible
        return shown.indices.contains(cursor) ? shown[cursor] : nil
    }

    /// Moves the cursor by `delta`, keeping it within a viewport of `height` rows.
    public mutating func move(by delta: Int, height: Int) {
        let count = visible.count
        guard count > 0 else { cursor = 0; offset = 0; return }
        cursor = max(0, min(count - 1, cursor + delta))
        reveal(height: height)
    }

    /// Scrolls just enough to show the cursor, and keeps both in range.
    public mutating func reveal(height: Int) {
        let count = visible.count
        cursor = max(0, min(cursor, count - 1))
        guard height > 0 else { return }
        if cursor < offset { offset = cursor }
        if cursor >= offset + height { offset = cursor - height + 1 }
        offset = max(0, min(offset, max(0, count - height)))
    }

    /// Sorts entries the way the browser lists them: directories first, then by name.
    public static func sorted(_ entries: [DirectoryEntry]) -> [DirectoryEntry] {
        var entries = entries
        sort(&entries)
        return entries
    }

    /// Sorts `entries` in place (see ``sorted(_:)``): the order is found on positions, then
    /// the entries move along its cycles. Mapped into a second array, 100,000 entries were
    /// 6.1 MiB more at a listing's peak.
    public static func sort(_ entries: inout [DirectoryEntry]) {
        let collation = NameCollation()
        var order: [Int] = Array(entries.indices)
        do {
            let keys = entries.map { collation.key($0.name) }
            order.sort { a, b in
                if entries[a].isDirectory != entries[b].isDirectory { return entries[a].isDirectory }
                return collation.precedes(keys[a], keys[b])
            }
        }
        // Position i takes the entry at order[i]; a position done points at itself.
        for start in order.indices where order[start] != start {
            let first = entries[start]
            var i = start
            while order[i] != start {
                let from = order[i]
                entries[i] = entries[from]
                order[i] = i
                i = from
            }
            entries[i] = first
            order[i] = i
        }
    }
}

import Foundation
