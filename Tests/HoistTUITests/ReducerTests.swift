import Foundation
import HoistEngine
import HoistTUI
import HoistTerminal
import Testing

@Suite("Reducer: browser")
struct BrowserReducerTests {
    @Test("directories first, then names; hidden files only when toggled")
    func listing() {
        var state = sampleState()
        #expect(state.browser.visible.map(\.name) == ["raw", "a.png", "b.jpg"])
        press(&state, .toggleHidden)
        #expect(state.browser.visible.map(\.name) == ["raw", ".secret", "a.png", "b.jpg"])
    }

    @Test("Space marks and moves down; a marks every file here (again: unmarks); u queues marks and keeps focus")
    func marksAndQueue() {
        var state = sampleState()
        press(&state, .moveDown, .toggleMark)
        #expect(state.browser.marks == ["/data/photos/a.png"])
        #expect(state.browser.cursor == 2)
        press(&state, .markAll)
        #expect(state.browser.marks == ["/data/photos/a.png", "/data/photos/b.jpg"])
        let effects = press(&state, .queueFiles)
        #expect(effects == [.preflight(["/data/photos/a.png", "/data/photos/b.jpg"])])
        #expect(state.browser.marks.isEmpty)
        #expect(state.focus == .browser)
        press(&state, .markAll, .markAll)
        #expect(state.browser.marks.isEmpty)
    }

    @Test("u with no marks queues the entry under the cursor")
    func queueCurrent() {
        var state = sampleState()
        press(&state, .moveLast)
        #expect(press(&state, .queueFiles) == [.preflight(["/data/photos/b.jpg"])])
    }

    @Test("open and parent directory are effects; coming back up puts the cursor on the directory left")
    func directories() {
        var state = sampleState()
        #expect(press(&state, .openDirectory) == [.listDirectory("/data/photos/raw")])
        Reducer.loaded(&state, directory: "/data/photos/raw", entries: [])
        #expect(press(&state, .parentDirectory) == [.listDirectory("/data/photos")])
        Reducer.loaded(&state, directory: "/data/photos", entries: sampleState().browser.entries)
        #expect(state.browser.current?.name == "raw")
        press(&state, .moveDown)
        #expect(press(&state, .openDirectory).isEmpty)
    }

    @Test("/ filters as you type, case-insensitively; Backspace edits; Escape clears")
    func filter() {
        var state = sampleState()
        press(&state, .startFilter, .filterType("P"), .filterType("N"))
        #expect(state.browser.visible.map(\.name) == ["a.png"])
        #expect(KeyMap.action(for: .character("q"), in: state) == .filterType("q"))
        press(&state, .filterErase)
        #expect(state.browser.filter == "P")
        press(&state, .filterAccept)
        #expect(!state.browser.isFiltering)
        #expect(KeyMap.action(for: .character("q"), in: state) == .quit)
        press(&state, .closeOverlay)
        #expect(state.browser.filter.isEmpty)
        #expect(state.browser.visible.count == 3)
    }

    @Test("the cursor scrolls with moves and never leaves the list")
    func scrolling() {
        var state = AppState(size: Size(rows: 15, columns: 60), directory: "/d", destination: "", concurrency: 1)
        Reducer.loaded(&state, directory: "/d", entries: (0..<50).map {
            DirectoryEntry(name: String(format: "f%02d", $0), directory: "/d", isDirectory: false, size: 1)
        })
        let rows = Layout(size: state.size).browserRows
        press(&state, .pageDown)
        #expect(state.browser.cursor == rows - 1)
        press(&state, .moveLast)
        #expect(state.browser.cursor == 49)
        #expect(state.browser.offset == 50 - rows)
        press(&state, .moveDown)
        #expect(state.browser.cursor == 49)
        press(&state, .moveFirst)
        #expect(state.browser.offset == 0)
    }
}

@Suite("Reducer: queue and engine events")
struct QueueReducerTests {
    @Test("a job's row follows its events to done; speed appears after a second of data; the bar waits for the server")
    func lifecycle() {
        var state = sampleState()
        feed(&state, job: 1, path: "/data/a.png", [
            .queued(size: 1000), .started, .sessionCreated(remoteID: "fil_1", filename: "a.png"),
            .progress(sent: 0, total: 1000), .progress(sent: 250, total: 1000), .progress(sent: 500, total: 1000),
        ])
        let row = state.queue.rows[0]
        #expect(row.state == .uploading)
        #expect(row.remoteID == "fil_1")
        #expect(row.fraction == 0.5)
        #expect(row.rate.bytesPerSecond(at: state.now) == 250)
        // 500 bytes at 250 B/s; no complete round trip measured yet to add.
        #expect(state.eta == 2)
        // Files the engine has not taken yet are to do too: 3 more of 1000 bytes, 7 times
        // the bytes left; the time can only grow, by more than the bytes at one file's rate
        // shared among the uploads at once.
        var waiting = state
        _ = Reducer.reduce(&waiting, .engineWaiting(EngineWaiting(files: 3, bytes: 3000)), now: waiting.now, wall: wall)
        let parallel = Double(min(waiting.concurrency, 4))
        #expect((waiting.eta ?? 0) >= 3500.0 / 250 / parallel, "\(String(describing: waiting.eta))")
        feed(&state, job: 1, path: "/data/a.png", [.progress(sent: 1000, total: 1000)], start: .seconds(6))
        #expect(state.queue.rows[0].fraction < 1, "all bytes handed over, but the server has not answered the PUT")
        feed(&state, job: 1, path: "/data/a.png", [.completing, .completed(remoteID: "fil_1", md5: "abc")], start: .seconds(7))
        #expect(state.queue.rows[0].state == .done)
        #expect(state.queue.rows[0].fraction == 1)
        #expect(state.queue.counts.done == 1)
        #expect(state.queue.counts.sentBytes == 1000 && state.queue.counts.bytes == 1000)
        #expect(state.uploaded["/data/a.png"]?.size == 1000)
    }

    @Test("a late progress report never revives a cancelled job; a retry does")
    func cancelledStays() {
        var state = sampleState()
        feed(&state, job: 1, path: "/x", [.queued(size: 10), .progress(sent: 2, total: 10), .cancelled, .progress(sent: 4, total: 10)])
        #expect(state.queue.rows[0].state == .cancelled)
        #expect(state.queue.counts.cancelled == 1)
        feed(&state, job: 1, path: "/x", [.queued(size: 10)])
        #expect(state.queue.rows[0].state == .queued)
        #expect(state.queue.counts.cancelled == 0)
    }

    @Test("a cancel the server has not taken: the row says cancelled locally; the log and the history say why; a retry forgets it")
    func cancelNotYetOnTheServer() {
        var state = sampleState()
        feed(&state, job: 1, path: "/x", [.queued(size: 10), .progress(sent: 2, total: 10),
                                          .cancelPending(reason: "network error: connection refused"), .cancelled])
        let row = state.queue.rows[0]
        #expect(row.state == .cancelled)
        #expect(row.status(at: .seconds(9)) == "cancelled locally")
        #expect(row.cancelPending == "connection refused")
        #expect(row.history.contains { $0.text.contains("still open on the server (network error: connection refused)") }, "\(row.history)")
        #expect(state.message == "cancelled x locally; the server has not taken the cancel yet (hoist retries)")
        #expect(state.log.contains { $0.isError && $0.text.hasPrefix("x: the session is still open on the server") }, "\(state.log)")
        // Made later, after the row's end: the row says cancelled, the history and log why.
        feed(&state, job: 1, path: "/x", [.cancelDone])
        #expect(state.queue.rows[0].status(at: .seconds(9)) == "cancelled")
        #expect(state.queue.rows[0].history.last?.text == EngineEvent.cancelDoneText)
        #expect(state.log.last?.text == "x: " + EngineEvent.cancelDoneText && state.log.last?.isError == false)
        // The status line no longer says the server has not taken it.
        #expect(state.message == "x: " + EngineEvent.cancelDoneText && !state.messageIsError)
        // A status line that has moved on to other news keeps it.
        feed(&state, job: 3, path: "/w", [.queued(size: 10), .cancelPending(reason: "503"), .cancelled])
        feed(&state, job: 4, path: "/v", [.queued(size: 10), .cancelled])
        feed(&state, job: 3, path: "/w", [.cancelDone])
        #expect(state.message == "cancelled v")
        #expect(state.log.last?.text == "w: " + EngineEvent.cancelDoneText)
        // Made before the row's end (the journal's retry was quick): plain cancelled.
        feed(&state, job: 2, path: "/y", [.queued(size: 10), .cancelPending(reason: "503"), .cancelDone, .cancelled])
        #expect(state.queue.row(JobID(2))?.status(at: .seconds(9)) == "cancelled" && state.message == "cancelled y")
        // Of a job the queue does not hold: no row is made of it.
        let rows = state.queue.rows.count
        feed(&state, job: 9, path: "/z", [.cancelDone])
        #expect(state.queue.rows.count == rows && state.queue.row(JobID(9)) == nil)
        // A retry forgets it.
        feed(&state, job: 1, path: "/x", [.queued(size: 10), .cancelPending(reason: "503"), .cancelled, .queued(size: 10), .cancelled])
        #expect(state.queue.rows[0].cancelPending == nil)
        #expect(state.queue.rows[0].status(at: .seconds(9)) == "cancelled")
        #expect(state.message == "cancelled x")
    }

    @Test("a failed row shows the short reason, the detail keeps the whole error; retrying counts down with its reason")
    func failures() {
        var state = sampleState()
        event(&state, job: 1, path: "/x", .queued(size: 10), at: .zero)
        event(&state, job: 1, path: "/x", .retrying(attempt: 2, delay: .seconds(4), reason: "network error: connection reset by peer"),
              at: .seconds(1))
        #expect(state.queue.rows[0].status(at: .seconds(1)) == "retry in 4s: connection reset by peer")
        #expect(state.queue.rows[0].status(at: .milliseconds(3500)) == "retry in 2s: connection reset by peer")
        let error = EngineError.http(status: 413, code: "too_large", message: "the file is larger than 10 MiB")
        event(&state, job: 1, path: "/x", .failed(error), at: .seconds(5))
        #expect(state.queue.rows[0].status(at: .seconds(5)) == "failed: 413 too large")
        #expect(state.queue.rows[0].error == error)
        #expect(state.queue.rows[0].retries == 1)
        #expect(state.messageIsError)
        #expect(state.queue.counts.failed == 1)
    }

    @Test("c cancels the selected unfinished job; C every unfinished one; r retries only failed or cancelled")
    func queueKeys() {
        var state = sampleState()
        feed(&state, job: 1, path: "/a", [.queued(size: 1), .completed(remoteID: "fil_a", md5: "m")])
        feed(&state, job: 2, path: "/b", [.queued(size: 1), .started])
        press(&state, .switchFocus, .moveFirst)
        #expect(KeyMap.action(for: .character("c"), in: state) == .cancelJob)
        #expect(KeyMap.action(for: .delete, in: state) == .cancelJob)
        #expect(press(&state, .cancelJob).isEmpty)
        #expect(state.message.contains("already ended"))
        press(&state, .moveDown)
        #expect(press(&state, .cancelJob, at: .seconds(3)) == [.engine(.cancel(JobID(2)))])
        // The row's history keeps the moment, for the time the cancel took.
        #expect(state.queue.rows[1].history.last.map { ($0.text, $0.time) } ?? ("", .zero) == ("cancel asked", .seconds(3)))
        #expect(press(&state, .retryJob).isEmpty)
        // C asks first, like q: n keeps them, y cancels them all.
        #expect(press(&state, .cancelAllJobs).isEmpty)
        #expect(state.overlay == .confirmCancelAll)
        #expect(KeyMap.action(for: .character("n"), in: state) == .decline)
        press(&state, .decline)
        #expect(state.overlay == nil)
        press(&state, .cancelAllJobs)
        #expect(KeyMap.action(for: .character("y"), in: state) == .confirm)
        #expect(withoutTitles(press(&state, .confirm)) == [.engine(.cancelAll)])
        feed(&state, job: 2, path: "/b", [.failed(.config("x"))])
        #expect(withoutTitles(press(&state, .retryJob)) == [.engine(.retry(JobID(2)))])
    }

    @Test("too small, the panes are hidden: no key acts on them or on a question behind the message; q opens the quit question, which the message shows")
    func tooSmallActsOnlyOnWhatItShows() {
        var state = sampleState()
        feed(&state, job: 1, path: "/a", [.queued(size: 10), .started])
        press(&state, .switchFocus, .moveFirst)
        press(&state, .cancelAllJobs)
        #expect(state.overlay == .confirmCancelAll)
        _ = Reducer.reduce(&state, .resized(Size(rows: 10, columns: 40)), now: .zero, wall: wall)
        // The cancel-all question was up when the terminal shrank: its y does nothing unseen.
        #expect(press(&state, .confirm).isEmpty)
        for action in [Action.cancelAllJobs, .cancelJob, .queueFiles, .togglePause, .retryAllFailed, .markAll, .detach] {
            #expect(withoutTitles(press(&state, action)).isEmpty, "\(action)")
        }
        #expect(!state.isPaused && state.overlay == .confirmCancelAll)
        // Keys as typed: q means quit whatever was open behind the message (here the
        // cancel-all question; a filter or an overlay alike), and nothing else maps.
        #expect(KeyMap.action(for: .character("y"), in: state) == nil)
        #expect(KeyMap.action(for: .character("C"), in: state) == nil)
        #expect(KeyMap.action(for: .character("q"), in: state) == .quit)
        var filtering = state
        filtering.overlay = .log(offset: 0)
        #expect(KeyMap.action(for: .character("q"), in: filtering) == .quit)
        // q asks, and its answers act: n stays, y quits cancelling.
        #expect(press(&state, .quit).isEmpty)
        #expect(KeyMap.action(for: .character("n"), in: state) == .decline)
        #expect(state.overlay == .confirmQuit)
        let screen = SnapshotScenes.render(state)
        #expect(screen.contains("quit? 1 upload not finished") && screen.contains("terminal too small"), "\(screen)")
        var tiny = state
        tiny.size = Size(rows: 3, columns: 10)
        tiny.overlay = nil
        let first = SnapshotScenes.render(tiny).split(separator: "\n").first ?? ""
        #expect(first.hasPrefix("terminal") && first.hasSuffix("…") && TextWidth.width(of: first) == 10, "\(first)")
        press(&state, .decline)
        #expect(state.overlay == nil)
        press(&state, .quit)
        #expect(!withoutTitles(press(&state, .confirm)).isEmpty)
        #expect(state.isQuitting)
    }

    @Test("the log says a new job once (the add's own report), a job queued again as such; a line break in a name never makes a line of its own")
    func logLines() {
        var state = sampleState()
        let name = "report.pdf\n12:00:00 done payroll.xlsx → fil_ok"
        feed(&state, job: 1, path: "/d/" + name, [.queued(size: 1), .started, .failed(.config("x"))])
        #expect(!state.log.contains { $0.text.hasPrefix("queued") })
        feed(&state, job: 1, path: "/d/" + name, [.queued(size: 1)])
        #expect(state.log.filter { $0.text.hasPrefix("queued again report.pdf") }.count == 1, "\(state.log.map(\.text))")
        state.overlay = .log(offset: 0)
        let screen = SnapshotScenes.render(state)
        #expect(!screen.split(separator: "\n").contains { $0.contains("│ 12:00:00 done payroll") || $0.hasPrefix("12:00:00") }, "\(screen)")
        #expect(screen.contains("report.pdf?12:00:00"), "\(screen)")
        #expect(Wrap.lines("a\nb c", width: 10) == ["a\nb c"])
    }

    @Test("the selection follows the active uploads until the user moves in the queue; queueing more follows again")
    func follows() {
        var state = sampleState(size: Size(rows: 15, columns: 60))
        let height = Layout(size: state.size).queueRows
        for id in 1...30 { feed(&state, job: id, path: "/f\(id)", [.queued(size: 1)]) }
        for id in 1...25 { feed(&state, job: id, path: "/f\(id)", [.started, .completed(remoteID: "x\(id)", md5: "m")]) }
        feed(&state, job: 26, path: "/f26", [.started])
        #expect(state.queue.selected == JobID(26))
        #expect(state.queue.offset == 30 - height, "the view jumped to show the active row, as far as the rows go")
        #expect((state.queue.offset..<state.queue.offset + height).contains(25))
        press(&state, .switchFocus, .moveFirst)
        feed(&state, job: 26, path: "/f26", [.completed(remoteID: "x", md5: "y")])
        feed(&state, job: 27, path: "/f27", [.started])
        #expect(state.queue.selected == JobID(1), "the user moved: the selection stays")
        #expect(state.queue.offset == 0)
        Reducer.reduce(&state, .preflighted([PathCheck(path: "/g", fileKey: "/g")]), now: .zero, wall: wall)
        feed(&state, job: 27, path: "/f27", [.progress(sent: 0, total: 1)])
        #expect(state.queue.selected == JobID(27))
    }

    @Test("p pauses and resumes; + and - change concurrency within 1...64")
    func pauseAndConcurrency() {
        var state = sampleState()
        #expect(press(&state, .togglePause) == [.engine(.pause)])
        #expect(state.isPaused)
        #expect(press(&state, .togglePause) == [.engine(.resume)])
        #expect(press(&state, .moreJobs) == [.engine(.setConcurrency(5))])
        #expect(state.message == "5 uploads at once")
        for _ in 0..<10 { press(&state, .fewerJobs) }
        #expect(state.concurrency == 1)
        #expect(state.message == "1 upload at once")
    }
}

@Suite("Reducer: quitting, overlays, keys")
struct QuitReducerTests {
    @Test("q quits at once when nothing is unfinished")
    func quitIdle() {
        var state = sampleState()
        #expect(press(&state, .quit) == [.exit(.quit(keepUnfinished: false))])
        #expect(state.isQuitting)
    }

    @Test("q asks while uploads are unfinished: n stays, k leaves keeping them, y cancels them and waits for the server")
    func quitAsks() {
        var state = sampleState()
        feed(&state, job: 1, path: "/a", [.queued(size: 1), .started])
        #expect(withoutTitles(press(&state, .quit)).isEmpty)
        #expect(state.overlay == .confirmQuit)
        #expect(KeyMap.action(for: .character("n"), in: state) == .decline)
        #expect(KeyMap.action(for: .character("u"), in: state) == nil, "the question takes every key")
        press(&state, .decline)
        #expect(state.overlay == nil)
        #expect(!state.isQuitting)

        var keeping = state
        press(&keeping, .quit)
        #expect(KeyMap.action(for: .character("k"), in: keeping) == .keepForLater)
        #expect(press(&keeping, .keepForLater) == [.exit(.quit(keepUnfinished: true))])

        press(&state, .quit)
        #expect(KeyMap.action(for: .character("y"), in: state) == .confirm)
        #expect(press(&state, .confirm, at: .seconds(2)) == [.engine(.cancelAll)])
        #expect(state.isQuitting)
        #expect(state.quitDeadline == .seconds(12))
        // While leaving, only Ctrl-C acts.
        #expect(KeyMap.action(for: .character("q"), in: state) == nil)
        #expect(KeyMap.action(for: .ctrlC, in: state) == .interrupt)
        #expect(tick(&state, at: .seconds(3)).isEmpty)
        #expect(withoutTitles(event(&state, job: 1, path: "/a", .cancelled, at: .seconds(4))) == [.exit(.quit(keepUnfinished: false))])
    }

    @Test("quitting leaves at the deadline when the server does not answer; Ctrl-C leaves at once")
    func quitDeadline() {
        var state = sampleState()
        feed(&state, job: 1, path: "/a", [.queued(size: 1), .started])
        press(&state, .quit)
        press(&state, .confirm, at: .seconds(1))
        #expect(tick(&state, at: .seconds(10)).isEmpty)
        #expect(tick(&state, at: .seconds(11)) == [.exit(.quit(keepUnfinished: false))])

        var impatient = sampleState()
        feed(&impatient, job: 1, path: "/a", [.queued(size: 1), .started])
        press(&impatient, .quit)
        press(&impatient, .confirm, at: .seconds(1))
        #expect(press(&impatient, .interrupt, at: .seconds(5)) == [.exit(.quit(keepUnfinished: false))])
    }

    @Test("Ctrl-C once behaves like q; twice within two seconds quits at once, cancelling")
    func interrupt() {
        var state = sampleState()
        feed(&state, job: 1, path: "/a", [.queued(size: 1)])
        #expect(press(&state, .interrupt, at: .seconds(10)).isEmpty)
        #expect(state.overlay == .confirmQuit)
        #expect(KeyMap.action(for: .ctrlC, in: state) == .interrupt)
        #expect(press(&state, .interrupt, at: .seconds(11)) == [.engine(.cancelAll)])
        #expect(state.isQuitting)

        var slow = sampleState()
        feed(&slow, job: 1, path: "/a", [.queued(size: 1)])
        press(&slow, .interrupt, at: .seconds(10))
        press(&slow, .decline)
        #expect(press(&slow, .interrupt, at: .seconds(20)).isEmpty)
        #expect(slow.overlay == .confirmQuit)
    }

    @Test("arrows and vi keys map to the same actions; overlays capture keys; Escape closes")
    func keys() {
        var state = sampleState()
        #expect(KeyMap.action(for: .up, in: state) == .moveUp)
        #expect(KeyMap.action(for: .character("k"), in: state) == .moveUp)
        #expect(KeyMap.action(for: .character("j"), in: state) == .moveDown)
        #expect(KeyMap.action(for: .right, in: state) == .openDirectory)
        #expect(KeyMap.action(for: .character("l"), in: state) == .openDirectory)
        #expect(KeyMap.action(for: .enter, in: state) == .openDirectory)
        #expect(KeyMap.action(for: .backspace, in: state) == .parentDirectory)
        #expect(KeyMap.action(for: .character("h"), in: state) == .parentDirectory)
        #expect(KeyMap.action(for: .character("c"), in: state) == nil)
        press(&state, .showHelp)
        // Overlays take the keys: a pane key does nothing, arrows scroll the overlay.
        #expect(KeyMap.action(for: .character("u"), in: state) == nil)
        #expect(KeyMap.action(for: .character("j"), in: state) == .moveDown)
        #expect(KeyMap.action(for: .escape, in: state) == .closeOverlay)
        press(&state, .closeOverlay, .showLog)
        #expect(state.overlay == .log(offset: 0))
        #expect(KeyMap.action(for: .escape, in: state) == .closeOverlay)
    }

    @Test("every binding's keys are unique within what can see them")
    func noClashes() {
        for scope in [KeyScope.browser, .queue] {
            let keys = KeyMap.bindings.filter { $0.scope == scope || $0.scope == .global }.flatMap(\.keys)
            #expect(Set(keys).count == keys.count, "\(scope)")
        }
        for scope in KeyScope.allCases where scope.isModal {
            let keys = KeyMap.bindings(in: scope).flatMap(\.keys)
            #expect(Set(keys).count == keys.count, "\(scope)")
        }
    }
}
