/// The browser's entries shown after hidden files and the filter: the listing itself when
/// every entry is shown, else the listing and the positions of those shown. A copy of the
/// entries shown (64 bytes each) made a filter key on 100,000 names peak 2 MiB higher (the
/// TUI's VmHWM, typing `1` then `2`); a position is 4 bytes.
public struct VisibleEntries: RandomAccessCollection, Sendable, Equatable {
    private let entries: [DirectoryEntry]
    /// Positions in ``entries``, ascending; nil when every entry is shown.
    private let shown: [Int32]?

    public init() {
        entries = []
        shown = nil
    }

    /// The entries of `entries` that `isShown` keeps, in their order.
    init(_ entries: [DirectoryEntry], shown isShown: (DirectoryEntry) -> Bool) {
        self.entries = entries
        var kept: [Int32] = []
        for (i, entry) in entries.enumerated() where isShown(entry) { kept.append(Int32(i)) }
        shown = kept.count == entries.count ? nil : kept
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { shown?.count ?? entries.count }

    public subscript(position: Int) -> DirectoryEntry {
        guard let shown else { return entries[position] }
        return entries[Int(shown[position])]
    }
}
