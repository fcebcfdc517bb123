import Foundation
import HoistEngine

extension Reducer {
    /// Queue actions: cancel, retry, details, copying a URL, earlier uploads.
    static func queueAction(_ state: inout AppState, _ action: Action, layout: Layout, wall: Date) -> [Effect] {
        // `y` also works from a job's detail overlay.
        if action == .copyURL, case .detail(let id, _) = state.overlay { return copyURL(&state, id, wall: wall) }
        guard state.focus == .queue, state.overlay == nil else { return [] }
        switch action {
        case .cancelAllJobs:
            guard state.queue.counts.unfinished > 0 else {
                state.say("nothing to cancel", at: wall)
                return []
            }
            state.overlay = .confirmCancelAll
            return []
        case .retryAllFailed:
            let failed = state.queue.rows.filter { $0.state == .failed }
            guard !failed.isEmpty else {
                state.say("no failed upload to retry", at: wall)
                return []
            }
            state.say("retrying \(Format.count(failed.count, "failed upload"))", at: wall)
            return resumeAfterHalt(&state) + failed.map { .engine(.retry($0.id)) }
        case .toggleEarlier:
            state.queue.showsEarlier.toggle()
            if !state.queue.showsEarlier, let selected = state.queue.selected, selected.rawValue < 0 {
                state.queue.selected = state.queue.rows.first?.id
            }
            if let i = state.queue.selectedIndex { state.queue.reveal(i, height: layout.queueRows) }
            let count = state.queue.earlier.count
            state.say(state.queue.showsEarlier
                      ? (count == 0 ? "no earlier uploads to this destination" : "showing \(Format.count(count, "earlier upload"))")
                      : "earlier uploads hidden", at: wall)
            return []
        default:
            break
        }
        guard let id = state.queue.selected, let row = state.queue.row(id) else { return [] }
        switch action {
        case .showDetail:
            state.overlay = .detail(id, offset: 0)
            return []
        case .copyURL:
            return copyURL(&state, id, wall: wall)
        case .cancelJob:
            guard !row.isEarlier, !row.state.isFinished else {
                state.say("\(row.name) has already ended (\(row.status(at: state.now)))", at: wall)
                return []
            }
            state.say("cancelling \(row.name)", at: wall)
            let now = state.now
            state.queue.update(id, path: row.path) { $0.remember(JobRow.cancelAskedText, at: now, wall: wall) }
            return [.engine(.cancel(id))]
        case .retryJob:
            // An earlier engine's job (it was killed; this one numbers its jobs afresh) is
            // nothing this engine could retry: the file is queued again as any other.
            if row.isEarlier, row.state == .failed || row.state == .cancelled {
                state.say("\(row.name) \(row.state == .failed ? "failed" : "was cancelled") under an earlier engine, which is gone: add the file again (a) to upload it",
                          at: wall)
                return []
            }
            guard !row.isEarlier, row.state == .failed || row.state == .cancelled else {
                state.say("only a failed or cancelled upload can be retried", at: wall)
                return []
            }
            state.say("retrying \(row.name)", at: wall)
            return resumeAfterHalt(&state) + [.engine(.retry(id))]
        default:
            return []
        }
    }

    /// A retry is the user acting on the banner: it goes, and so does the pause it made.
    private static func resumeAfterHalt(_ state: inout AppState) -> [Effect] {
        guard state.banner != nil else { return [] }
        state.banner = nil
        state.isPaused = false
        return [.engine(.resume)]
    }

    private static func copyURL(_ state: inout AppState, _ id: JobID, wall: Date) -> [Effect] {
        guard let row = state.queue.row(id) else { return [] }
        guard row.state == .done, let remote = row.remoteID, !remote.isEmpty else {
            state.say("only a completed upload has a URL to copy", at: wall)
            return []
        }
        state.say("asking for a download URL of \(row.name)\(state.glyphs.more)", at: wall)
        return [.fetchURL(job: id, remoteID: remote)]
    }

    /// The answer to ``Effect/fetchURL(job:remoteID:)``: onto the clipboard, or why not.
    static func fetched(_ state: inout AppState, job: JobID, _ result: Result<String, EngineError>, wall: Date) -> [Effect] {
        let name = state.queue.row(job)?.name ?? "\(job)"
        switch result {
        case .success(let url):
            state.say("copied the URL of \(name) to the clipboard: \(url)", at: wall)
            return [.copyToClipboard(url)]
        case .failure(let error):
            state.say("no URL for \(name): \(error.description)", error: true, at: wall)
            return []
        }
    }

    /// Earlier runs' completed uploads: rows to show on `H`, and marks in the browser.
    static func earlier(_ state: inout AppState, _ entries: [JournalEntry]) {
        var rows: [JobRow] = []
        for (i, entry) in entries.enumerated() {
            var row = JobRow(id: JobID(-(i + 1)), path: entry.file.path, size: entry.file.size)
            row.state = .done
            row.sent = entry.file.size
            row.remoteID = entry.session?.id
            row.remoteName = entry.session?.filename
            row.isEarlier = true
            rows.append(row)
            if state.uploaded[entry.file.path] == nil {
                state.uploaded[entry.file.path] = FileStamp(size: entry.file.size, mtimeNanos: entry.file.mtimeNanos)
            }
        }
        state.queue.setEarlier(rows)
    }
}
