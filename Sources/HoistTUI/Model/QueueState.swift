import HoistEngine

/// The queue pane's data: one row per job in the order they were queued, and the user's
/// selection and scroll position, which only the user moves.
public struct QueueState: Sendable, Equatable {
    public private(set) var rows: [JobRow] = []
    private var index: [JobID: Int] = [:]
    /// The selected job; kept by id so that rows changing state never move it.
    public var selected: JobID?
    /// The first row shown.
    public var offset = 0

    public init() {}

    public func row(_ id: JobID) -> JobRow? { index[id].map { rows[$0] } }

    /// The selected row's position, if any.
    public var selectedIndex: Int? { selected.flatMap { index[$0] } }

    /// Applies an engine event to its job's row, adding the row on first sight.
    public mutating func apply(_ event: EngineEvent, now: Duration) {
        if index[event.job] == nil {
            index[event.job] = rows.count
            rows.append(JobRow(id: event.job, path: event.path, size: 0))
            if selected == nil { selected = event.job }
        }
        if let i = index[event.job] { rows[i].apply(event.kind, now: now) }
    }

    /// Moves the selection by `delta` rows and scrolls just enough to keep it in a
    /// viewport of `height` rows.
    public mutating func move(by delta: Int, height: Int) {
        guard !rows.isEmpty else { return }
        let current = selectedIndex ?? 0
        let target = max(0, min(rows.count - 1, current + delta))
        selected = rows[target].id
        reveal(target, height: height)
    }

    /// Scrolls so that row `i` is visible.
    public mutating func reveal(_ i: Int, height: Int) {
        guard height > 0 else { return }
        if i < offset { offset = i }
        if i >= offset + height { offset = i - height + 1 }
        offset = max(0, min(offset, max(0, rows.count - height)))
    }

    /// Jobs neither done, failed nor cancelled.
    public var unfinished: [JobRow] { rows.filter { !$0.state.isFinished } }
}
