import HoistEngine

/// Finds a job's row in ``QueueState/rows`` without a dictionary of every id: with 100,000
/// queued files that dictionary was 6 MiB, for numbers the rows already hold in order.
///
/// The rows are the retired ones first (ids -1,000,001, -1,000,002, … one apart, see
/// ``QueueState/retireJobs()``), then the engine's jobs in the order their first events
/// came, which is the order the engine numbered them. A retired row is found by
/// subtraction, an engine job by binary search. Should a job's first event ever come
/// after a higher id's, the index falls back to a dictionary, so a row is always found.
struct RowIndex: Sendable, Equatable {
    /// How many rows at the start are retired.
    private var retired = 0
    /// Every row's position, once the engine's rows came out of order.
    private var positions: [JobID: Int]?

    init(retired: Int = 0) { self.retired = retired }

    /// The position of job `id` in `rows`, if it has a row.
    func position(of id: JobID, in rows: [JobRow]) -> Int? {
        if let positions { return positions[id] }
        if id.rawValue < 0 {
            guard retired > 0 else { return nil }
            let i = rows[0].id.rawValue - id.rawValue
            return (0..<retired).contains(i) && rows[i].id == id ? i : nil
        }
        var low = retired, high = rows.count
        while low < high {
            let middle = (low + high) / 2
            if rows[middle].id < id { low = middle + 1 } else { high = middle }
        }
        return low < rows.count && rows[low].id == id ? low : nil
    }

    /// Rows left `rows` (the retired ones stay): positions kept by number are made again.
    mutating func reindex(_ rows: [JobRow]) {
        if positions != nil { positions = Dictionary(uniqueKeysWithValues: rows.enumerated().map { ($1.id, $0) }) }
    }

    /// Notes that job `id` (which has no row yet) gets the next row after `rows`.
    mutating func appending(_ id: JobID, to rows: [JobRow]) {
        let inOrder = id.rawValue >= 0 && (rows.count == retired || rows[rows.count - 1].id < id)
        if positions == nil, !inOrder {
            positions = Dictionary(uniqueKeysWithValues: rows.enumerated().map { ($1.id, $0) })
        }
        positions?[id] = rows.count
    }
}
