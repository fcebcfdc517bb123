/// Files uploaded to this destination (from the journal's history and from this run), by
/// directory and name: the browser marks them. Every done file of a run lands here, so it
/// is kept small: a directory's names back to back in byte order with their stamps, found
/// by binary search (about 32 bytes a file), and the latest 2,048 in a dictionary
/// until they are merged in. Kept as a dictionary of absolute paths, 100,000 done files
/// took a path string each and a table that doubled to 10 MiB at the 98,304th (the TUI's
/// VmHWM rose by 8 MiB near the end of a 100,000-file run).
public struct UploadedFiles: Sendable, Equatable {
    private var directories: [String: Stamps] = [:]

    public init() {}

    /// The stamp of the file at `path`, if it was uploaded.
    public subscript(path: String) -> FileStamp? {
        get {
            let (directory, name) = DirectoryEntry.split(path)
            return directories[directory]?.stamp(name)
        }
        set {
            let (directory, name) = DirectoryEntry.split(path)
            directories[directory, default: Stamps()].set(name, newValue)
        }
    }

    /// The stamp of `entry`'s file, without making its path.
    public func stamp(for entry: DirectoryEntry) -> FileStamp? {
        directories[entry.directory]?.stamp(entry.name)
    }

    /// Every file's stamp, by directory and name (for comparing: the layout depends on
    /// when merges happened, the content does not).
    private var contents: [String: [String: FileStamp]] {
        directories.mapValues(\.all).filter { !$0.value.isEmpty }
    }

    public static func == (lhs: UploadedFiles, rhs: UploadedFiles) -> Bool { lhs.contents == rhs.contents }

    /// One directory's stamps.
    struct Stamps: Sendable {
        /// The merged names, in byte order (UTF-8).
        private var names = PackedNames()
        /// Each merged name's stamp.
        private var stamps: [FileStamp] = []
        /// Set since the last merge; nil for one removed.
        private var recent: [String: FileStamp?] = [:]
        /// How many set names wait before they are merged in (a merge copies the arrays).
        static let mergeEvery = 2048

        func stamp(_ name: String) -> FileStamp? {
            if let latest = recent[name] { return latest }
            guard let i = position(of: name) else { return nil }
            return stamps[i]
        }

        mutating func set(_ name: String, _ stamp: FileStamp?) {
            recent[name] = .some(stamp)
            if recent.count >= Self.mergeEvery { merge() }
        }

        /// Every name with its stamp.
        var all: [String: FileStamp] {
            var all: [String: FileStamp] = [:]
            for i in 0..<names.count { all[names.name(i)] = stamps[i] }
            for (name, stamp) in recent { all[name] = stamp }
            return all
        }

        /// The index of `name` among the merged names, by binary search.
        private func position(of name: String) -> Int? {
            var low = 0, high = names.count
            while low < high {
                let middle = (low + high) / 2
                if names.utf8(middle).lexicographicallyPrecedes(name.utf8) { low = middle + 1 } else { high = middle }
            }
            return low < names.count && names.utf8(low).elementsEqual(name.utf8) ? low : nil
        }

        /// Merges ``recent`` into the sorted arrays, made at their new size at once.
        private mutating func merge() {
            let incoming = recent.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            recent = [:]
            var merged = PackedNames(), mergedStamps: [FileStamp] = []
            merged.reserve(names: names.count + incoming.count, bytes: names.byteCount + incoming.reduce(0) { $0 + $1.key.utf8.count })
            mergedStamps.reserveCapacity(names.count + incoming.count)
            func keep(_ name: some Collection<UInt8>, _ stamp: FileStamp?) {
                guard let stamp else { return }
                merged.append(name)
                mergedStamps.append(stamp)
            }
            var i = 0
            for (name, stamp) in incoming {
                while i < names.count, names.utf8(i).lexicographicallyPrecedes(name.utf8) {
                    keep(names.utf8(i), stamps[i])
                    i += 1
                }
                if i < names.count, names.utf8(i).elementsEqual(name.utf8) { i += 1 }  // replaced
                keep(name.utf8, stamp)
            }
            while i < names.count {
                keep(names.utf8(i), stamps[i])
                i += 1
            }
            (names, stamps) = (merged, mergedStamps)
        }
    }
}
