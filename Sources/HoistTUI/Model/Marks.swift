/// The browser's marked files, kept by directory and name. Marks survive moving between
/// directories. Marking 100,000 files of one directory (`a`) stores their names, most of
/// which fit inline in a `String`. Stored as 100,000 absolute paths, they took 11 MiB (VmRSS
/// before and after `a`, measured in tmux).
public struct Marks: Sendable, Equatable, ExpressibleByArrayLiteral {
    private var names: [String: Set<String>] = [:]
    /// How many files are marked.
    public private(set) var count = 0

    public init() {}

    public init(arrayLiteral paths: String...) {
        for path in paths { insert(path) }
    }

    public var isEmpty: Bool { count == 0 }

    public func contains(_ entry: DirectoryEntry) -> Bool {
        names[entry.directory]?.contains(entry.name) == true
    }

    public func contains(_ path: String) -> Bool {
        let (directory, name) = DirectoryEntry.split(path)
        return names[directory]?.contains(name) == true
    }

    public mutating func insert(_ path: String) {
        let (directory, name) = DirectoryEntry.split(path)
        insert(name, in: directory)
    }

    /// Marks the entry, or unmarks it if it was marked.
    public mutating func toggle(_ entry: DirectoryEntry) {
        if names[entry.directory]?.remove(entry.name) != nil {
            count -= 1
            if names[entry.directory]?.isEmpty == true { names[entry.directory] = nil }
        } else {
            insert(entry.name, in: entry.directory)
        }
    }

    /// Marks every one of `entries`, or unmarks them all when every one was marked.
    public mutating func toggleAll(_ entries: some Collection<DirectoryEntry>) {
        if entries.allSatisfy(contains) {
            for entry in entries { toggle(entry) }
        } else {
            // Room for them all at once: grown by doubling, 100,000 names held the table
            // being left beside the one replacing it, and left the smaller ones in the heap.
            if let directory = entries.first?.directory {
                names[directory, default: []].reserveCapacity((names[directory]?.count ?? 0) + entries.count)
            }
            for entry in entries { insert(entry.name, in: entry.directory) }
        }
    }

    /// The marked files' absolute paths: directory by directory, each one's names sorted.
    /// Kept as a ``PathList``: a `String` for each of 100,000 paths was 7.6 MiB at `u`.
    public func sorted() -> PathList {
        var paths = PathList()
        for directory in names.keys.sorted() {
            paths.append(contentsOf: names[directory, default: []].sorted(), in: directory)
        }
        return paths
    }

    private mutating func insert(_ name: String, in directory: String) {
        if names[directory, default: []].insert(name).inserted { count += 1 }
    }
}
