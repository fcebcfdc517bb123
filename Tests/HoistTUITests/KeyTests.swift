import Foundation
import HoistEngine
import HoistTerminal
import Testing
@testable import HoistTUI

/// The keys added for failures, URLs and history, through the key map and the reducer.
@Suite("Keys: details, retries, URLs, history, fail-fast, pre-flight")
struct KeyTests {
    /// A queue of one done, one failed, one cancelled and one uploading job, focused.
    static func queue() -> AppState {
        var state = sampleState(size: Size(rows: 30, columns: 100))
        feed(&state, job: 1, path: "/data/photos/a.png", [.queued(size: 10), .started, .sessionCreated(remoteID: "fil_1", filename: "a.png"),
                                                          .completing, .completed(remoteID: "fil_1", md5: "m")])
        feed(&state, job: 2, path: "/data/photos/b.jpg", [.queued(size: 10), .failed(.unreadable("/data/photos/b.jpg", "Permission denied"))],
             start: .seconds(5))
        feed(&state, job: 3, path: "/data/photos/c.jpg", [.queued(size: 10), .cancelled], start: .seconds(7))
        feed(&state, job: 4, path: "/data/photos/d.jpg", [.queued(size: 10), .started], start: .seconds(9))
        press(&state, .switchFocus, .moveFirst, at: .seconds(10))
        return state
    }

    @Test("Enter on a queue row opens its details; arrows, g and G scroll them; Esc closes")
    func detail() {
        var state = Self.queue()
        #expect(KeyMap.action(for: .enter, in: state) == .showDetail)
        press(&state, .showDetail)
        #expect(state.overlay == .detail(JobID(1), offset: 0))
        #expect(KeyMap.action(for: .character("G"), in: state) == .moveLast)
        #expect(KeyMap.action(for: .escape, in: state) == .closeOverlay)
        #expect(KeyMap.action(for: .character("c"), in: state) == nil, "the overlay takes the keys")
        let text = SnapshotScenes.render(state)
        #expect(text.contains("fil_1") && text.contains("/data/photos/a.png") && text.contains("completing"))
        press(&state, .closeOverlay)
        #expect(state.overlay == nil)
    }

    @Test("y on a done row asks for its URL; the answer goes to the clipboard; y elsewhere says why not")
    func copyURL() {
        var state = Self.queue()
        #expect(KeyMap.action(for: .character("y"), in: state) == .copyURL)
        #expect(withoutTitles(press(&state, .copyURL)) == [.fetchURL(job: JobID(1), remoteID: "fil_1")])
        let url = "http://127.0.0.1:9/storage/fil_1?sig=abc"
        #expect(Reducer.reduce(&state, .fetchedURL(job: JobID(1), .success(url)), now: .seconds(11), wall: wall) == [.copyToClipboard(url)])
        #expect(state.message.contains("copied"))
        let failure = Reducer.reduce(&state, .fetchedURL(job: JobID(1), .failure(.http(status: 404, code: "not_found", message: "gone"))),
                                     now: .seconds(12), wall: wall)
        #expect(failure.isEmpty)
        #expect(state.messageIsError)
        press(&state, .moveDown)
        #expect(withoutTitles(press(&state, .copyURL)).isEmpty)
        #expect(state.message == "only a completed upload has a URL to copy")
        // From the detail overlay too.
        press(&state, .moveFirst, .showDetail)
        #expect(KeyMap.action(for: .character("y"), in: state) == .copyURL)
        #expect(withoutTitles(press(&state, .copyURL)) == [.fetchURL(job: JobID(1), remoteID: "fil_1")])
    }

    @Test("R retries every failed upload (not the cancelled); r only the selected one")
    func retryAll() {
        var state = Self.queue()
        feed(&state, job: 5, path: "/data/photos/e.jpg", [.queued(size: 10), .failed(.http(status: 413, code: nil, message: "big"))],
             start: .seconds(11))
        #expect(KeyMap.action(for: .character("R"), in: state) == .retryAllFailed)
        #expect(withoutTitles(press(&state, .retryAllFailed)) == [.engine(.retry(JobID(2))), .engine(.retry(JobID(5)))])
        #expect(state.message == "retrying 2 failed uploads")
    }

    @Test("a halting failure pauses the queue with one banner naming the cause; more of them add none; R or p lifts it")
    func failFast() {
        var state = sampleState()
        for id in 1...4 { feed(&state, job: id, path: "/f\(id)", [.queued(size: 10)]) }
        let refused = EngineError.refused(host: "127.0.0.1", port: 9)
        #expect(refused.haltsRun)
        let first = event(&state, job: 1, .failed(refused), at: .seconds(2))
        #expect(withoutTitles(first) == [.engine(.pause)])
        #expect(state.isPaused)
        let banner = state.banner
        #expect(banner?.hasPrefix("refused: connection refused") == true, "\(banner ?? "no banner")")
        #expect(withoutTitles(event(&state, job: 2, .failed(refused), at: .seconds(2))).isEmpty)
        #expect(state.banner == banner)
        #expect(SnapshotScenes.render(state).contains("refused: connection refused"))
        var retried = state
        #expect(withoutTitles(press(&retried, .switchFocus, .retryAllFailed)) ==
                [.engine(.resume), .engine(.retry(JobID(1))), .engine(.retry(JobID(2)))])
        #expect(retried.banner == nil && !retried.isPaused)
        #expect(press(&state, .togglePause) == [.engine(.resume)])
        #expect(state.banner == nil)
    }

    @Test("u checks first: a file that cannot be uploaded is refused with its reason, no session; a second path to a queued file is said once")
    func preflight() {
        var state = sampleState()
        press(&state, .moveDown, .toggleMark, .toggleMark)
        #expect(press(&state, .queueFiles) == [.preflight(["/data/photos/a.png", "/data/photos/b.jpg"])])
        let checked: [PathCheck] = [
            PathCheck(path: "/data/photos/a.png", fileKey: "/data/photos/a.png"),
            PathCheck(path: "/data/photos/b.jpg", fileKey: "/data/photos/b.jpg", problem: .unreadable("/data/photos/b.jpg", "Permission denied")),
        ]
        let effects = withoutTitles(Reducer.reduce(&state, .preflighted(checked), now: .zero, wall: wall))
        #expect(effects == [.engine(.add(["/data/photos/a.png"]))])
        #expect(state.messageIsError)
        #expect(state.message == "queued a.png; not queued: /data/photos/b.jpg: Permission denied")
        feed(&state, job: 1, path: "/data/photos/a.png", [.queued(size: 3 << 20), .started])
        // The same file again, through a link: said once, not queued, not a failure. The
        // check is asked for the files of the jobs queued or running.
        press(&state, .moveFirst, .toggleMark)
        #expect(press(&state, .queueFiles) == [.preflight(["/data/photos/raw"], queued: ["/data/photos/a.png"])])
        let again = [PathCheck(path: "/data/photos/link.png", fileKey: "/data/photos/a.png"),
                     PathCheck(path: "/data/photos/a.png", fileKey: "/data/photos/a.png")]
        #expect(withoutTitles(Reducer.reduce(&state, .preflighted(again, inQueue: ["/data/photos/a.png"]), now: .seconds(3),
                                             wall: wall)).isEmpty)
        #expect(state.message == "2 items already queued")
        #expect(!state.messageIsError)
        #expect(state.queue.counts.failed == 0 && state.queue.rows.count == 1)
        // An unreadable directory is an error in the status line, never "queued".
        let directory = PathCheck(path: "/data/photos/raw", fileKey: "/data/photos/raw", isDirectory: true,
                                  problem: .unreadableDirectory("/data/photos/raw", "Permission denied"))
        #expect(withoutTitles(Reducer.reduce(&state, .preflighted([directory]), now: .seconds(3), wall: wall)).isEmpty)
        #expect(state.messageIsError && state.message.contains("cannot read directory"))
    }

    @Test("the browser marks what cannot be uploaded with the reason, and what was uploaded here before")
    func browserMarks() {
        var state = sampleState(size: Size(rows: 24, columns: 100))
        Reducer.loaded(&state, directory: "/data/photos", entries: [
            DirectoryEntry(name: "ok.png", path: "/data/photos/ok.png", isDirectory: false, size: 10, mtimeNanos: 7),
            DirectoryEntry(name: "secret.png", path: "/data/photos/secret.png", isDirectory: false, size: 10,
                           problem: .unreadable("/data/photos/secret.png", "Permission denied")),
            DirectoryEntry(name: "empty.png", path: "/data/photos/empty.png", isDirectory: false, size: 0,
                           problem: .emptyFile("/data/photos/empty.png")),
            DirectoryEntry(name: "sent.png", path: "/data/photos/sent.png", isDirectory: false, size: 20, mtimeNanos: 5),
            DirectoryEntry(name: "changed.png", path: "/data/photos/changed.png", isDirectory: false, size: 20, mtimeNanos: 6),
        ])
        let journal = [5, 1].map { mtime in
            JournalEntry(rowID: Int64(mtime), endpoint: "e", file: FileIdentity(path: mtime == 5 ? "/data/photos/sent.png" : "/data/photos/changed.png",
                                                                                 size: 20, mtimeNanos: Int64(mtime)),
                         state: .completed, session: RemoteSession(id: "fil_\(mtime)", filename: "x", uploadURL: "u", uploadHeaders: [], expiresAt: nil), md5: "m")
        }
        Reducer.reduce(&state, .history(journal), now: .zero, wall: wall)
        let lines = SnapshotScenes.render(state).split(separator: "\n").map(String.init)
        func line(_ name: String) -> String { lines.first { $0.contains(name) } ?? "" }
        #expect(line("secret.png").hasPrefix("│! secret.png") && line("secret.png").contains("unreadable"))
        #expect(line("empty.png").hasPrefix("│! empty.png") && line("empty.png").contains("empty"))
        #expect(line("sent.png").hasPrefix("│✓ sent.png"))
        #expect(line("changed.png").hasPrefix("│  changed.png"), "changed since it was uploaded")
        #expect(line("ok.png").hasPrefix("│  ok.png"))
    }

    @Test("H shows earlier runs' uploads in the queue with their ids; they count nowhere")
    func earlier() {
        var state = Self.queue()
        let entry = JournalEntry(rowID: 1, endpoint: "e", file: FileIdentity(path: "/old/report.pdf", size: 4096, mtimeNanos: 1),
                                 state: .completed, session: RemoteSession(id: "fil_old", filename: "report.pdf", uploadURL: "u", uploadHeaders: [], expiresAt: nil), md5: "m")
        Reducer.reduce(&state, .history([entry]), now: .seconds(10), wall: wall)
        let counts = state.queue.counts
        #expect(KeyMap.action(for: .character("H"), in: state) == .toggleEarlier)
        press(&state, .toggleEarlier)
        #expect(state.queue.listed.count == 5)
        #expect(state.queue.counts == counts)
        press(&state, .moveLast)
        #expect(state.queue.selected == JobID(-1))
        #expect(withoutTitles(press(&state, .copyURL)) == [.fetchURL(job: JobID(-1), remoteID: "fil_old")])
        let text = SnapshotScenes.render(state)
        #expect(text.contains("report.pdf") && text.contains("fil_old") && text.contains("done earlier") && text.contains("+ 1 earlier"))
        press(&state, .toggleEarlier)
        #expect(state.queue.selected != JobID(-1))
    }

    @Test("Ctrl-L repaints; the log scrolls with g, G, Home and End over wrapped lines")
    func repaintAndLog() {
        var state = sampleState()
        #expect(KeyMap.action(for: .control("l"), in: state) == .repaint)
        #expect(press(&state, .repaint) == [.repaint])
        for i in 0..<60 { state.say("line \(i) " + String(repeating: "long words ", count: i % 3 == 0 ? 12 : 1), at: wall) }
        press(&state, .showLog)
        let top = LogOverlay.maxOffset(state.log, size: state.size)
        #expect(top > 60 - LogOverlay.visibleRows(state.size), "wrapped lines count")
        #expect(KeyMap.action(for: .character("g"), in: state) == .moveFirst)
        #expect(KeyMap.action(for: .home, in: state) == .moveFirst)
        press(&state, .moveFirst)
        #expect(state.overlay == .log(offset: top))
        #expect(SnapshotScenes.render(state).contains("line 0 "))
        press(&state, .moveDown)
        #expect(state.overlay == .log(offset: top - 1))
        #expect(KeyMap.action(for: .end, in: state) == .moveLast)
        press(&state, .moveLast)
        #expect(state.overlay == .log(offset: 0))
        #expect(SnapshotScenes.render(state).contains("line 59 "))
    }

    @Test("the help lists every binding, modal ones included, and the hint comes from the key map")
    func generatedHelp() {
        var shown = ""
        for row in HelpOverlay.layout(Size(rows: 60, columns: 200)).rows + HelpOverlay.layout(Size(rows: 60, columns: 200), background: true).rows {
            switch row {
            case .columns(let entries): shown += entries.compactMap { $0.map { "\($0.keys) \($0.text)" } }.joined(separator: "\n") + "\n"
            case .wide(let line, _): shown += line + " "
            }
        }
        for binding in KeyMap.bindings {
            #expect(shown.contains(binding.help), "\(binding.help) is not in the help")
        }
        #expect(KeyMap.hint == "? help  q quit")
        #expect(KeyMap.answers(.quitQuestion).map(\.key) == ["y", "k", "n"])
    }

    @Test("start lists the directory and reads the history; the last run's unfinished uploads come back paused")
    func start() {
        var state = AppState(size: Size(rows: 24, columns: 80), directory: "/d", destination: "x", concurrency: 2)
        let effects = Reducer.reduce(&state, .start(Resume(jobs: 3, paths: ["/d/a", "/d/b"])), now: .zero, wall: wall)
        // The engine queued three already, their events still on the way; the walks' two
        // paths are handed over. All five count already.
        #expect(effects == [.listDirectory("/d"), .loadHistory, .engine(.pause), .engine(.add(["/d/a", "/d/b"])), .setTitle("hoist 0/5 0%")])
        #expect(state.isPaused)
        #expect(state.message == "5 unfinished uploads from the last run, paused: p resumes")
        // The three jobs' events take them from the waiting count to rows, counted once.
        for n in 1...3 { Reducer.apply(&state, EngineEvent(job: JobID(n), path: "/d/j\(n)", kind: .queued(size: 10), time: .zero), now: .zero, wall: wall) }
        #expect(state.queue.rows.count == 3 && state.queue.waiting.files == 2 && state.queue.counts.queued == 5)

        // Jobs alone: nothing to hand over.
        var jobsOnly = AppState(size: Size(rows: 24, columns: 80), directory: "/d", destination: "x", concurrency: 2)
        #expect(Reducer.reduce(&jobsOnly, .start(Resume(jobs: 1)), now: .zero, wall: wall)
                == [.listDirectory("/d"), .loadHistory, .engine(.pause), .setTitle("hoist 0/1 0%")])
        #expect(jobsOnly.message == "1 unfinished upload from the last run, paused: p resumes")
    }

    @Test("a directory that cannot be opened is an error in the status line")
    func unreadableDirectory() {
        var state = sampleState()
        Reducer.reduce(&state, .listFailed(directory: "/data/photos/raw", reason: "Permission denied"), now: .zero, wall: wall)
        #expect(state.messageIsError)
        #expect(state.message == "cannot open /data/photos/raw: Permission denied")
        #expect(state.browser.directory == "/data/photos")
    }
}
