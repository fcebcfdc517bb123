/// Paths in order, kept compactly: a run of paths in one directory shares the directory, and
/// its names are kept back to back (``PackedNames``). A `u` of 100,000 marked files holds
/// its paths while they are checked (and ``EngineBridge`` a slice the journal could not
/// record): as 100,000 `String`s of 30 bytes they took 7.6 MiB of the TUI's peak heap
/// (heaptrack), as runs of names 1.6 MiB.
///
/// Reading a path (`list[i]`) makes its `String`; the order is the order appended.
public struct PathList: Sendable, Equatable, RandomAccessCollection, ExpressibleByArrayLiteral {
    /// Consecutive paths with the same directory.
    private struct Run: Sendable {
        /// Everything up to and including the last `/` ("" for a path without one).
        var prefix: String
        var names = PackedNames()
        /// The list's index of the run's first path.
        var first: Int
    }

    private var runs: [Run] = []
    public private(set) var endIndex = 0
    public var startIndex: Int { 0 }

    public init() {}

    public init(arrayLiteral paths: String...) {
        self.init(paths)
    }

    public init(_ paths: some Sequence<String>) {
        for path in paths { append(path) }
    }

    public subscript(position: Int) -> String {
        precondition(position >= 0 && position < endIndex, "PathList index out of range")
        // The last run whose first path is at or before `position`.
        var low = 0, high = runs.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if runs[middle].first <= position { low = middle } else { high = middle - 1 }
        }
        let run = runs[low]
        return run.prefix + run.names.name(position - run.first)
    }

    public mutating func append(_ path: String) {
        let utf8 = path.utf8
        let slash = utf8.lastIndex(of: UInt8(ascii: "/")).map { utf8.index(after: $0) } ?? utf8.startIndex
        append(name: path.utf8[slash...], prefix: String(path.utf8[..<slash]) ?? "")
    }

    /// Appends `directory`/`name` ("/" + `name` in the root, `name` alone for no directory).
    public mutating func append(_ name: String, in directory: String) {
        append(name: name.utf8, prefix: directory.isEmpty || directory.hasSuffix("/") ? directory : directory + "/")
    }

    /// Appends each of `names` in `directory`, with room made for them all first (no
    /// buffer left half empty by doubling).
    public mutating func append(contentsOf names: [String], in directory: String) {
        guard let first = names.first else { return }
        append(first, in: directory)
        runs[runs.count - 1].names.reserve(names: names.count - 1, bytes: names.dropFirst().reduce(0) { $0 + $1.utf8.count })
        for name in names.dropFirst() { append(name, in: directory) }
    }

    private mutating func append(name: some Collection<UInt8>, prefix: String) {
        // By bytes: String's == takes "é" and "e\u{301}" for one, and would hand back a path
        // to another file.
        if runs.last.map({ $0.prefix.utf8.elementsEqual(prefix.utf8) }) != true { runs.append(Run(prefix: prefix, first: endIndex)) }
        runs[runs.count - 1].names.append(name)
        endIndex += 1
    }

    public static func == (lhs: PathList, rhs: PathList) -> Bool {
        lhs.count == rhs.count && lhs.elementsEqual(rhs)
    }
}
