import HoistEngine

/// The engine's jobs, each kept as the few events that describe it now: what a client that
/// connects late is sent before the live stream (the snapshot). Every job of the engine's
/// life but completed ones beyond the latest ``keepsDone``, which are counted in
/// ``unlisted`` instead. Pure.
public struct JobBook: Sendable, Equatable {
    private struct Entry: Sendable, Equatable {
        var events: [EngineEvent]
        var remoteID: String?
        var finished: Bool
    }

    private var entries: [JobID: Entry] = [:]
    /// Jobs not yet completed, failed or cancelled, counted as events come: asked after
    /// every event, so it must not walk 100,000 jobs each time.
    public private(set) var unfinished = 0
    /// How many completed jobs the book keeps whole, the latest to complete; older ones are
    /// counted in ``unlisted``. The TUI lists as many (`QueueState.listsDone`).
    public let keepsDone: Int
    /// The engine's ``keepsDone``.
    public static let defaultKeepsDone = 1_000
    /// Completed jobs no longer kept, by id, with their bytes.
    public private(set) var unlisted = UnlistedJobs()
    /// Completed jobs in the order they completed, from `doneStart` on.
    private var doneOrder: [JobID] = []
    private var doneStart = 0

    public init(keepsDone: Int = JobBook.defaultKeepsDone) {
        self.keepsDone = max(0, keepsDone)
    }

    /// Folds one event in. A `queued` starts the job over (a retry); a progress report
    /// replaces the previous one; everything else is kept in order.
    public mutating func record(_ event: EngineEvent) {
        // A job counted as unlisted has ended for good (a completed job is never retried).
        if unlisted.contains(event.job.rawValue) { return }
        // Said of a job's earlier cancel: news only for a job the book holds.
        if case .cancelDone = event.kind, entries[event.job] == nil { return }
        var event = event
        var entry = entries[event.job] ?? Entry(events: [], remoteID: nil, finished: false)
        // The id the session gave, kept once: the server's answer to complete repeats it as
        // a new string, and the book keeps every completed job.
        if case .completed(let remote, let md5) = event.kind, let known = entry.remoteID, known == remote {
            event.kind = .completed(remoteID: known, md5: md5)
        }
        let wasOpen = entries[event.job].map { !$0.finished } ?? false
        switch event.kind {
        case .queued:
            entry.events = [event]
            entry.finished = false
        case .progress:
            if let last = entry.events.last, case .progress = last.kind { entry.events.removeLast() }
            entry.events.append(event)
        case .retrying:
            entry.events.removeAll { if case .retrying = $0.kind { true } else { false } }
            entry.events.append(event)
        case .verifying:
            // One a progress interval while a large resume is checked: only the latest counts.
            entry.events.removeAll { if case .verifying = $0.kind { true } else { false } }
            entry.events.append(event)
        default:
            entry.events.append(event)
        }
        switch event.kind {
        case .sessionCreated(let remote, _, _), .completed(let remote, _): entry.remoteID = remote
        default: break
        }
        if event.isTerminal {
            entry.finished = true
            entry.events = Self.ended(entry.events)
        }
        entries[event.job] = entry
        unfinished += (entry.finished ? 0 : 1) - (wasOpen ? 1 : 0)
        if case .completed = event.kind {
            doneOrder.append(event.job)
            unlistOldestDone()
        }
    }

    /// Counts the completed jobs beyond the latest ``keepsDone`` in ``unlisted``.
    private mutating func unlistOldestDone() {
        while doneOrder.count - doneStart > keepsDone {
            let id = doneOrder[doneStart]
            doneStart += 1
            // Taken or dropped since, or started over: nothing to count.
            guard let entry = entries[id], entry.finished, let last = entry.events.last, case .completed = last.kind else { continue }
            entries[id] = nil
            unlisted.insert(id.rawValue, bytes: Self.size(entry.events))
        }
        // The ids gone are let go of now and then, not one at a time.
        if doneStart > 4_096, doneStart * 2 > doneOrder.count {
            doneOrder.removeFirst(doneStart)
            doneStart = 0
        }
    }

    /// The size a job was queued with (0 for one that failed at once, or one not kept).
    public func queuedSize(of job: JobID) -> Int64 { Self.size(entries[job]?.events ?? []) }

    /// The size a job's `queued` event gave (0 without one).
    private static func size(_ events: [EngineEvent]) -> Int64 {
        guard let first = events.first, case .queued(let size) = first.kind else { return 0 }
        return size
    }

    /// What an ended job keeps: its `queued` (size, path), its session (the server's name
    /// for it), the bytes it got to unless it completed (which says all of them), and its
    /// end. The steps between say nothing a late client needs, and the engine keeps every
    /// job of its life: 100,000 files took six events each, now three.
    private static func ended(_ events: [EngineEvent]) -> [EngineEvent] {
        guard let last = events.last else { return events }
        // A cancel still to make on the server: a view that attaches later says so too,
        // unless it was made before the end (the journal's retry was quick).
        let cancelMade = events.contains { $0.kind == .cancelDone }
        var kept = events.dropLast().filter {
            switch $0.kind {
            case .queued, .sessionCreated: true
            case .cancelPending: !cancelMade
            default: false
            }
        }
        let completed = if case .completed = last.kind { true } else { false }
        if !completed, let reached = events.last(where: {
            switch $0.kind {
            case .progress, .resumed: true
            default: false
            }
        }) { kept.append(reached) }
        kept.append(last)
        return kept
    }

    /// The snapshot: each job's events, jobs in id order.
    public var replay: [EngineEvent] { ids.flatMap { entries[$0]?.events ?? [] } }

    /// Every job's id, in order.
    public var ids: [JobID] { entries.keys.sorted() }

    /// `event` as a line of the engine's stream, with the server's id of its job as the
    /// book knows it.
    public func wireLine(_ event: EngineEvent, dialect: Dialect) -> String {
        event.wireLine(dialect: dialect, remoteID: remoteID(of: event.job)) + "\n"
    }

    /// Removes job `id` from the book, returning its events (none when it was not there).
    public mutating func take(_ id: JobID) -> [EngineEvent] {
        guard let entry = entries.removeValue(forKey: id) else { return [] }
        if !entry.finished { unfinished -= 1 }
        return entry.events
    }

    /// Job `id`'s events (none when the book does not know it).
    public func events(of id: JobID) -> [EngineEvent] { entries[id]?.events ?? [] }

    /// Forgets every finished job.
    public mutating func dropFinished() {
        entries = entries.filter { !$0.value.finished }
    }

    /// The server's id (or Luw final URL) of a job, once it has one.
    public func remoteID(of job: JobID) -> String? { entries[job]?.remoteID }

    /// Whether the book has seen job `id` (kept, or counted in ``unlisted``).
    public func knows(_ id: JobID) -> Bool { entries[id] != nil || unlisted.contains(id.rawValue) }

    /// Whether job `id` has ended (completed, failed or cancelled) as far as the book saw.
    public func hasEnded(_ id: JobID) -> Bool { entries[id]?.finished ?? unlisted.contains(id.rawValue) }

    /// How many jobs the book holds (``unlisted`` ones not counted).
    public var count: Int { entries.count }
}
