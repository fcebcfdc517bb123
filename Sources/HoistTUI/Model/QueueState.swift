import HoistAgent
import HoistEngine

/// The queue pane's data: a row per job in the order they were queued (done ones beyond the
/// latest ``listsDone`` counted instead, see ``unlisted``), then (when shown) the uploads
/// earlier runs completed; the selection and scroll position.
public struct QueueState: Sendable, Equatable {
    public private(set) var rows: [JobRow] = []
    /// Where each row is: found by arithmetic and binary search while the rows are in the
    /// order ids come (see ``RowIndex``), not by a dictionary of every id.
    private var index = RowIndex()
    /// Earlier runs' completed uploads for this destination, newest first. Their ids are
    /// negative so they never meet the engine's.
    public private(set) var earlier: [JobRow] = []
    /// Whether ``earlier`` is listed below the jobs.
    public var showsEarlier = false
    /// The selected row; kept by id so that rows changing state never move it.
    public var selected: JobID?
    /// The first row shown.
    public var offset = 0
    /// Whether the selection follows the active uploads: until the user moves in the queue,
    /// and again after new files are queued.
    public var follows = true
    /// How many rows ``retireJobs()`` renumbered, for their ids.
    private var retired = 0
    /// Files handed to the engine that it has not queued yet: either engine queues a large
    /// `u` a window at a time, and the rest has no job, so no row, until its turn. They
    /// count as queued, and their bytes as bytes to send.
    public var waiting = Waiting()
    /// Done jobs the queue no longer lists: it keeps the latest ``listsDone`` done rows and
    /// counts the older ones here. Each done row took about 0.5 KB (its path, ids and story
    /// for the detail overlay), so a run of 100,000 files ended at 125 MiB; the journal
    /// keeps every upload, and `H` lists those of earlier runs.
    public private(set) var unlisted = Unlisted()
    /// How many done rows the queue lists, the latest done (the selected one is kept).
    public var listsDone = 1000
    /// This engine's jobs (not retired ones) listed as done, in the order they became done.
    private var doneOrder: [JobID] = []
    /// The part of ``unlisted`` that retired engines' jobs make (count, bytes): it stays
    /// when the engine attached says which of its own it counts (``countUnlisted(byEngine:)``).
    private var retiredCount = 0
    private var retiredBytes: Int64 = 0

    /// Done jobs no longer listed: how many, their bytes, and their ids.
    public struct Unlisted: Sendable, Equatable {
        public var count = 0
        public var bytes: Int64 = 0
        /// Their ids, as runs: they leave mostly in order. An engine's later word on one of
        /// them (a snapshot it sends again) must not bring its row back.
        var ids = RangeSet<Int>()

        func contains(_ id: JobID) -> Bool { ids.contains(id.rawValue) }
    }

    /// Files (and their bytes) on their way to the engine's queue.
    public struct Waiting: Sendable, Equatable {
        public var files = 0
        public var bytes: Int64 = 0
        /// How many adds were handed to the engine since the start, and how many of them
        /// the engine has said are over.
        public var adds = 0
        public var settled = 0
        public init(adds: Int = 0) {
            self.adds = adds
            settled = adds
        }

        /// The background engine's count replaces the view's own, which ran ahead of it
        /// since a `u`.
        mutating func replace(with engine: EngineWaiting) {
            files = engine.files
            bytes = engine.bytes
        }

        /// What counts as queued: the files, and at least one while an add is not over (a
        /// directory handed over counts one, and its walk may queue many).
        var count: Int { max(files, adds > settled ? 1 : 0) }
    }

    public init() {}

    /// The rows listed: this run's jobs, then earlier uploads when shown.
    public var listed: [JobRow] { showsEarlier ? rows + earlier : rows }

    public func row(_ id: JobID) -> JobRow? {
        if let i = index.position(of: id, in: rows) { return rows[i] }
        return id.rawValue < 0 ? earlier.first { $0.id == id } : nil
    }

    /// The selected row's position in ``listed``, if any.
    public var selectedIndex: Int? {
        guard let selected else { return nil }
        if let i = index.position(of: selected, in: rows) { return i }
        guard showsEarlier else { return nil }
        return earlier.firstIndex { $0.id == selected }.map { rows.count + $0 }
    }

    /// Changes job `id`'s row, adding it (for `path`) on first sight. The caller leaves a
    /// job no longer listed (``unlisted``) alone: it would come back as a new row.
    mutating func update(_ id: JobID, path: String, _ change: (inout JobRow) -> Void) {
        let known = index.position(of: id, in: rows)
        if known == nil {
            index.appending(id, to: rows)
            rows.append(JobRow(id: id, path: path, size: 0))
            if selected == nil { selected = id }
        }
        let i = known ?? rows.count - 1
        let wasDone = rows[i].state == .done
        change(&rows[i])
        if id.rawValue >= 0, wasDone != (rows[i].state == .done) {
            if wasDone { doneOrder.removeAll { $0 == id } } else { doneOrder.append(id) }
        }
        // A new job is a waiting file's turn (a count, not the file: close enough until the
        // engine has them all, when ``Waiting`` goes back to none).
        if known == nil, waiting.files > 0 {
            waiting.files -= 1
            waiting.bytes = max(0, waiting.bytes - rows[i].size)
        }
    }

    /// Stops listing the done rows that were done first, down to the latest ``listsDone``,
    /// once there are a quarter more (each time is a pass over the rows). The selected row
    /// stays listed; rows above the first one shown that leave move the view up with them.
    mutating func unlistOldestDone() {
        guard doneOrder.count > listsDone + max(listsDone / 4, 1) else { return }
        var leaving = Set<JobID>()
        var staying: [JobID] = []
        for id in doneOrder {
            if leaving.count < doneOrder.count - listsDone, id != selected { leaving.insert(id) } else { staying.append(id) }
        }
        doneOrder = staying
        for row in removeRows(where: { leaving.contains($0.id) }) {
            unlisted.count += 1
            unlisted.bytes += row.size
            unlisted.ids.insert(contentsOf: row.id.rawValue..<row.id.rawValue + 1)
        }
    }

    /// Takes out the rows `leaves` picks and returns them; rows above the first one shown
    /// that leave move the view up with them.
    private mutating func removeRows(where leaves: (JobRow) -> Bool) -> [JobRow] {
        var kept: [JobRow] = []
        kept.reserveCapacity(rows.capacity)
        var removed: [JobRow] = []
        var above = 0
        for (i, row) in rows.enumerated() {
            guard leaves(row) else {
                kept.append(row)
                continue
            }
            removed.append(row)
            if i < offset { above += 1 }
        }
        rows = kept
        offset = max(0, offset - above)
        index.reindex(rows)
        return removed
    }

    /// A new background engine numbers its jobs afresh (the old one died): the old engine's
    /// unfinished jobs go (the new one resumed them under new ids), its finished ones stay in
    /// view as earlier uploads, under ids no engine gives.
    mutating func retireJobs() {
        var kept = rows.filter { $0.state.isFinished }
        for i in kept.indices {
            retired += 1
            kept[i].id = JobID(-1_000_000 - retired)
            kept[i].isEarlier = true
        }
        rows = kept
        index = RowIndex(retired: rows.count)
        // The new engine's ids start again: none of them is an unlisted one.
        unlisted.ids = RangeSet()
        (retiredCount, retiredBytes) = (unlisted.count, unlisted.bytes)
        doneOrder = []
        if let selected, selected.rawValue >= 0 { self.selected = rows.first?.id }
    }

    /// At an attach, before the snapshot: the engine attached counts `engine` as done
    /// instead of sending them, and they become this engine's unlisted jobs, replacing the
    /// view's own (whose jobs the engine still lists come back with the snapshot, and leave
    /// again as more complete). A row of one of them goes: the engine's count holds it.
    mutating func countUnlisted(byEngine engine: UnlistedJobs) {
        let ids = engine.ids
        unlisted = Unlisted(count: retiredCount + engine.count, bytes: retiredBytes + engine.bytes, ids: ids)
        guard rows.contains(where: { $0.id.rawValue >= 0 && ids.contains($0.id.rawValue) }) else { return }
        _ = removeRows { $0.id.rawValue >= 0 && ids.contains($0.id.rawValue) }
        doneOrder.removeAll { ids.contains($0.rawValue) }
        if let selected, selected.rawValue >= 0, ids.contains(selected.rawValue) { self.selected = rows.last?.id }
    }

    /// Replaces the earlier uploads.
    mutating func setEarlier(_ rows: [JobRow]) {
        earlier = rows
        if !showsEarlier, let selected, selected.rawValue < 0 { self.selected = self.rows.first?.id }
    }

    /// Moves the selection by `delta` rows and scrolls just enough to keep it in a
    /// viewport of `height` rows.
    public mutating func move(by delta: Int, height: Int) {
        let listed = listed
        guard !listed.isEmpty else { return }
        let current = selectedIndex ?? 0
        let target = max(0, min(listed.count - 1, current + delta))
        selected = listed[target].id
        reveal(target, height: height)
    }

    /// Scrolls so that row `i` is visible.
    public mutating func reveal(_ i: Int, height: Int) {
        guard height > 0 else { return }
        if i < offset { offset = i }
        if i >= offset + height { offset = i - height + 1 }
        offset = max(0, min(offset, max(0, listed.count - height)))
    }

    /// Puts the selection on the first active upload, if any, and shows it. When it leaves
    /// the view the view jumps a page to put it on top, rather than creeping a row per
    /// file: a scrolling pane rewrites every row over the wire.
    mutating func followActive(height: Int) {
        guard follows, let i = rows.firstIndex(where: { $0.state.isActive }) else { return }
        selected = rows[i].id
        guard height > 0, i < offset || i >= offset + height else { return }
        offset = max(0, min(i, listed.count - height))
    }

    /// Every count shown anywhere, derived from the rows in one pass.
    public var counts: QueueCounts {
        var counts = QueueCounts()
        counts.queued = waiting.count
        counts.bytes = waiting.bytes + unlisted.bytes
        counts.sentBytes = unlisted.bytes
        counts.done = unlisted.count
        for row in rows {
            switch row.state {
            case .done: counts.done += 1
            case .failed: counts.failed += 1
            case .cancelled: counts.cancelled += 1
            case .queued: counts.queued += 1
            default: counts.active += 1
            }
            if row.state != .cancelled {
                counts.bytes += row.size
                counts.sentBytes += row.state == .done ? row.size : row.sent
            }
        }
        return counts
    }
}

/// Counts of the queue's rows: the title, the status line and the window title all read
/// these, so they cannot disagree.
public struct QueueCounts: Sendable, Equatable {
    public var done = 0
    public var failed = 0
    public var cancelled = 0
    public var queued = 0
    /// Creating, uploading, completing or waiting to retry.
    public var active = 0
    /// Bytes of the jobs not cancelled, and how many of them were sent.
    public var bytes: Int64 = 0
    public var sentBytes: Int64 = 0

    public init() {}

    /// Jobs that count towards the total: cancelled ones leave it.
    public var total: Int { done + failed + queued + active }
    /// Jobs not yet ended.
    public var unfinished: Int { queued + active }
    /// Bytes sent over bytes queued.
    public var fraction: Double { bytes > 0 ? Double(sentBytes) / Double(bytes) : 0 }
}
