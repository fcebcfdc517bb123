import HoistEngine

/// A directory entry as the browser shows it.
public struct DirectoryEntry: Sendable, Equatable {
    public var name: String
    public var path: String
    public var isDirectory: Bool
    public var size: Int64
    public var isSymlink: Bool
    /// Modification time, to tell a file uploaded before from one changed since.
    public var mtimeNanos: Int64?
    /// Why this cannot be uploaded here, checked before any network call (unreadable,
    /// empty, too large, a type the destination refuses); `nil` when it can.
    public var problem: EngineError?

    public init(name: String, path: String, isDirectory: Bool, size: Int64, isSymlink: Bool = false,
                mtimeNanos: Int64? = nil, problem: EngineError? = nil) {
        self.name = name
        self.path = path
        self.isDirectory = isDirectory
        self.size = size
        self.isSymlink = isSymlink
        self.mtimeNanos = mtimeNanos
        self.problem = problem
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
    /// Marked files, by absolute path; marks survive moving between directories.
    public var marks: Set<String> = []
    /// Why the directory could not be read, if it could not.
    public var error: String?

    public init(directory: String) { self.directory = directory }

    /// The entries shown, after hidden files and the filter. Kept, not derived on each use:
    /// the view and every cursor move asked for it, which for a directory of 100,000 files
    /// was a filtered copy of them all per frame and per key.
    public private(set) var visible: [DirectoryEntry] = []

    private mutating func refreshVisible() {
        let filter = filter, showHidden = showHidden
        func shown(_ entry: DirectoryEntry) -> Bool {
            (showHidden || !entry.isHidden) && (filter.isEmpty || entry.name.localizedCaseInsensitiveContains(filter))
        }
        // When every entry is shown, the same storage: no second copy of a large directory.
        visible = entries.allSatisfy(shown) ? entries : entries.filter(shown)
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
        entries.sorted { a, b in
            if a.isDirectory != b.isDirectory { return a.isDirectory }
            return a.name.localizedStandardCompare(b.name) == .orderedAscending
        }
    }
}

import Foundation
