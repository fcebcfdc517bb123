/// Completed jobs a ``JobBook`` no longer lists, as runs of consecutive ids, each with the
/// bytes of its jobs.
///
/// The background engine keeps the latest ``JobBook/keepsDone`` completed jobs whole and
/// counts the older ones here: a book of every job of its life held about 0.65 KB per
/// completed job, and 100,000 files took the engine from 60 to 125 MiB. Its greeting
/// carries these runs (`unlisted_done`), so a client that attaches counts those jobs done,
/// and by id, so one that attaches again does not count a job twice. Jobs complete
/// roughly in id order, so the runs stay few.
public struct UnlistedJobs: Sendable, Equatable, Codable {
    /// Ids `lower..<upper`, and the bytes of those jobs.
    public struct Run: Sendable, Equatable {
        public var lower: Int
        public var upper: Int
        public var bytes: Int64

        public init(lower: Int, upper: Int, bytes: Int64) {
            self.lower = lower
            self.upper = upper
            self.bytes = bytes
        }
    }

    /// In id order, none touching another.
    public private(set) var runs: [Run] = []
    public private(set) var count = 0
    public private(set) var bytes: Int64 = 0

    public init() {}

    public var isEmpty: Bool { runs.isEmpty }

    /// The ids, as the TUI's queue keeps them.
    public var ids: RangeSet<Int> {
        var ids = RangeSet<Int>()
        for run in runs { ids.insert(contentsOf: run.lower..<run.upper) }
        return ids
    }

    public func contains(_ id: Int) -> Bool {
        let i = firstRun(above: id)
        return i > 0 && runs[i - 1].upper > id
    }

    /// Adds job `id` of `bytes`, joining the runs it touches. An id already here is left alone.
    public mutating func insert(_ id: Int, bytes size: Int64) {
        let i = firstRun(above: id)
        if i > 0, runs[i - 1].upper > id { return }
        let joinsBefore = i > 0 && runs[i - 1].upper == id
        let joinsAfter = i < runs.count && runs[i].lower == id + 1
        switch (joinsBefore, joinsAfter) {
        case (true, true):
            runs[i - 1].upper = runs[i].upper
            runs[i - 1].bytes += runs[i].bytes + size
            runs.remove(at: i)
        case (true, false):
            runs[i - 1].upper += 1
            runs[i - 1].bytes += size
        case (false, true):
            runs[i].lower -= 1
            runs[i].bytes += size
        case (false, false):
            runs.insert(Run(lower: id, upper: id + 1, bytes: size), at: i)
        }
        count += 1
        bytes += size
    }

    /// The index of the first run that starts after `id`.
    private func firstRun(above id: Int) -> Int {
        var low = 0, high = runs.count
        while low < high {
            let middle = (low + high) / 2
            if runs[middle].lower <= id { low = middle + 1 } else { high = middle }
        }
        return low
    }

    // On the wire: `[[lower, upper, bytes], ...]`, upper excluded.
    public init(from decoder: any Decoder) throws {
        let triples = try decoder.singleValueContainer().decode([[Int64]].self)
        for triple in triples {
            guard triple.count == 3, triple[0] < triple[1], triple[2] >= 0,
                  let lower = Int(exactly: triple[0]), let upper = Int(exactly: triple[1]),
                  runs.last.map({ $0.upper < lower }) ?? true
            else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                        debugDescription: "unlisted runs must be [lower, upper, bytes], in order, apart"))
            }
            runs.append(Run(lower: lower, upper: upper, bytes: triple[2]))
            count += upper - lower
            bytes += triple[2]
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(runs.map { [Int64($0.lower), Int64($0.upper), $0.bytes] })
    }
}
