import Foundation
import HoistEngine

extension Reducer {
    /// Browser actions: directories, marks, the filter, queueing files.
    static func browse(_ state: inout AppState, _ action: Action, layout: Layout, wall: Date) -> [Effect] {
        guard state.focus == .browser else { return [] }
        var browser = state.browser
        defer { state.browser = browser }
        switch action {
        case .openDirectory:
            guard let entry = browser.current, entry.isDirectory else { return [] }
            return [.listDirectory(entry.path)]
        case .parentDirectory:
            let parent = (browser.directory as NSString).deletingLastPathComponent
            guard parent != browser.directory, !parent.isEmpty else { return [] }
            return [.listDirectory(parent)]
        case .toggleMark:
            guard let entry = browser.current else { return [] }
            browser.marks.toggle(entry)
            browser.move(by: 1, height: layout.browserRows)
        case .markAll:
            browser.marks.toggleAll(browser.visible.lazy.filter { !$0.isDirectory })
        case .queueFiles:
            // Checked first (no network): what cannot be uploaded is refused here, before
            // any session exists, and comes back as `preflighted`.
            let paths = browser.marks.isEmpty ? browser.current.map { [$0.path] } ?? [] : browser.marks.sorted()
            guard !paths.isEmpty else { return [] }
            browser.marks = []
            return [.preflight(paths, queued: state.queue.rows.filter { !$0.state.isFinished }.map(\.path))]
        case .toggleHidden:
            let keep = browser.current?.path
            browser.showHidden.toggle()
            browser.cursor = keep.flatMap { path in browser.visible.firstIndex { $0.isAt(path) } } ?? 0
            browser.reveal(height: layout.browserRows)
        case .startFilter:
            browser.isFiltering = true
        case .filterType(let character):
            browser.filter.append(character)
            browser.cursor = 0
            browser.offset = 0
        case .filterErase:
            if browser.filter.isEmpty { browser.isFiltering = false } else { browser.filter.removeLast() }
            browser.reveal(height: layout.browserRows)
        case .filterAccept:
            browser.isFiltering = false
        case .filterClear:
            browser.isFiltering = false
            browser.filter = ""
            browser.reveal(height: layout.browserRows)
        default:
            break
        }
        return []
    }

    /// A directory was read: show it, with the cursor on the directory we came from when
    /// going up.
    public static func loaded(_ state: inout AppState, directory: String, entries: [DirectoryEntry], sorted: Bool = false) {
        let previous = state.browser.directory
        state.browser.directory = directory
        state.browser.entries = sorted ? entries : BrowserState.sorted(entries)
        state.browser.error = nil
        state.browser.filter = ""
        state.browser.isFiltering = false
        state.browser.offset = 0
        state.browser.cursor = state.browser.visible.firstIndex { $0.isAt(previous) } ?? 0
        state.browser.reveal(height: Layout(size: state.size).browserRows)
    }

    /// Paths checked for `u` (all, or one slice of them): queue what can be uploaded,
    /// refuse the rest with the reason (no session is created for them), and say once that
    /// a file is already queued (by any path to it) instead of queueing it again. The status
    /// line counts every slice of this `u` so far; the log records the whole once, at the end.
    static func queueChecked(_ state: inout AppState, _ checks: [PathCheck], final: Bool = true, inQueue given: FileKeySet = [],
                             remaining: Int = 0, wall: Date) -> [Effect] {
        // The files queued or running when this `u` began come with its first slice, found
        // by the checker from the rows' paths: the rows keep no file key of their own (a
        // dictionary of 100,000 of them was 8 MiB of a 100,000-file queue).
        // Made once with room for the whole `u`: grown by doubling, 100,000 keys peaked with
        // the old table beside the new.
        var inQueue = state.queueing.inQueue ?? {
            var made = FileKeySet(minimumCapacity: given.count + checks.count + remaining)
            made.formUnion(given)
            return made
        }()
        // Taken out while it grows: shared with the state, each slice copied the whole set.
        state.queueing.inQueue = nil
        var queued: [String] = []
        var bytes: Int64 = 0
        let refusedBefore = state.queueing.refused.count
        for check in checks {
            if check.problem != nil {
                state.queueing.refused.append(check)
            } else if !check.isDirectory, inQueue.contains(check.fileKey) {
                state.queueing.already.add(check.path)
            } else {
                inQueue.insert(check.fileKey)
                queued.append(check.path)
                bytes += check.size
                state.queueing.queued.add(check.path)
            }
        }
        state.queueing.inQueue = inQueue
        let report = state.queueing
        // Each refusal is logged with its whole reason once there is more than one (a single
        // one is the status line itself).
        if report.refused.count > 1 {
            for check in report.refused[(refusedBefore == 1 ? 0 : refusedBefore)...] {
                state.note(wall, "not queued: \(check.problem?.description ?? check.path)", error: true)
            }
        }
        if final {
            state.say(report.message, error: !report.refused.isEmpty, at: wall)
            state.queueing = QueueingReport()
        } else {
            state.message = report.message
            state.messageIsError = !report.refused.isEmpty
        }
        guard !queued.isEmpty else { return [] }
        state.queue.follows = true
        return [handOver(&state, queued, bytes: bytes)]
    }

    /// Sends files to the engine to queue. Either engine queues them a window at a time:
    /// until each has its job it waits, counted but without a row. The embedded engine's
    /// bridge says when none does (``Input/addsSettled(adds:)``); the background engine says
    /// how many wait, for every view (``Input/engineWaiting(_:)``), and its word
    /// replaces the count made here. An older background engine says nothing: its files
    /// count once they have rows, as before.
    static func handOver(_ state: inout AppState, _ paths: [String], bytes: Int64, walk: UploadEngine.WalkRecord? = nil) -> Effect {
        if !state.background || state.engineCountsWaiting {
            state.queue.waiting.files += paths.count
            state.queue.waiting.bytes += bytes
        }
        if !state.background { state.queue.waiting.adds += 1 }
        return .engine(.add(paths, bytes: bytes, walk: walk))
    }

    /// A directory could not be read: stay where we are and say why.
    public static func loadFailed(_ state: inout AppState, directory: String, reason: String, wall: Date) {
        state.say("cannot open \(directory): \(reason)", error: true, at: wall)
        if state.browser.entries.isEmpty { state.browser.error = "cannot read \(directory)" }
    }
}
