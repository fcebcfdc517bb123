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
        #expect(effects == [.engine(.add(["/data/photos/a.png", "/data/photos/b.jpg"]))])
        #expect(state.browser.marks.isEmpty)
        #expect(state.focus == .browser)
        press(&state, .markAll, .markAll)
        #expect(state.browser.marks.isEmpty)
    }

    @Test("u with no marks queues the entry under the cursor")
    func queueCurrent() {
        var state = sampleState()
        press(&state, .moveLast)
        #expect(press(&state, .queueFiles) == [.engine(.add(["/data/photos/b.jpg"]))])
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
            DirectoryEntry(name: String(format: "f%02d", $0), path: "/d/f\($0)", isDirectory: false, size: 1)
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
    @Test("a job's row follows its events to done; speed and ETA appear while it uploads")
    func lifecycle() {
        var state = sampleState()
        feed(&state, job: 1, path: "/data/a.png", [
            .queued(size: 1000), .started, .sessionCreated(remoteID: "fil_1", filename: "a.png"),
            .progress(sent: 250, total: 1000), .progress(sent: 500, total: 1000),
        ])
        let row = state.queue.rows[0]
        #expect(row.state == .uploading)
        #expect(row.remoteID == "fil_1")
        #expect(row.fraction == 0.5)
        #expect(row.speed.bytesPerSecond == 250)
        #expect(state.stats.eta(remaining: 500) == 2)
        feed(&state, job: 1, path: "/data/a.png", [.completing, .completed(remoteID: "fil_1", md5: "abc")])
        #expect(state.queue.rows[0].state == .done)
        #expect(state.stats.done == 1)
        #expect(state.byteTotals == (1000, 1000))
    }

    @Test("a late progress report never revives a cancelled job; a retry does")
    func cancelledStays() {
        var state = sampleState()
        feed(&state, job: 1, path: "/x", [.queued(size: 10), .progress(sent: 2, total: 10), .cancelled, .progress(sent: 4, total: 10)])
        #expect(state.queue.rows[0].state == .cancelled)
        #expect(state.stats.cancelled == 1)
        feed(&state, job: 1, path: "/x", [.queued(size: 10)])
        #expect(state.queue.rows[0].state == .queued)
        #expect(state.stats.cancelled == 0)
    }

    @Test("failures show their reason; retrying shows the attempt")
    func failures() {
        var state = sampleState()
        feed(&state, job: 1, path: "/x", [.queued(size: 10), .retrying(attempt: 2, delay: .seconds(1), reason: "503")])
        #expect(state.queue.rows[0].state.label == "retrying 2")
        feed(&state, job: 1, path: "/x", [.failed(.config("no such file"))])
        #expect(state.queue.rows[0].state.label.hasPrefix("failed: "))
        #expect(state.messageIsError)
        #expect(state.stats.failed == 1)
    }

    @Test("c cancels the selected unfinished job; C every unfinished one; r retries only failed or cancelled")
    func queueKeys() {
        var state = sampleState()
        feed(&state, job: 1, path: "/a", [.queued(size: 1), .completed(remoteID: "fil_a", md5: "m")])
        feed(&state, job: 2, path: "/b", [.queued(size: 1), .started])
        press(&state, .switchFocus)
        #expect(KeyMap.action(for: .character("c"), in: state) == .cancelJob)
        #expect(KeyMap.action(for: .delete, in: state) == .cancelJob)
        #expect(press(&state, .cancelJob).isEmpty)
        #expect(state.message.contains("already ended"))
        press(&state, .moveDown)
        #expect(press(&state, .cancelJob) == [.engine(.cancel(JobID(2)))])
        #expect(press(&state, .retryJob).isEmpty)
        #expect(press(&state, .cancelAllJobs) == [.engine(.cancelAll)])
        feed(&state, job: 2, path: "/b", [.failed(.config("x"))])
        #expect(press(&state, .retryJob) == [.engine(.retry(JobID(2)))])
    }

    @Test("the queue never scrolls by itself: new jobs leave the selection and offset alone")
    func noAutoScroll() {
        var state = sampleState(size: Size(rows: 15, columns: 60))
        for id in 1...5 { feed(&state, job: id, path: "/f\(id)", [.queued(size: 1)]) }
        press(&state, .switchFocus, .moveDown, .moveDown)
        let selected = state.queue.selected
        let offset = state.queue.offset
        for id in 6...40 { feed(&state, job: id, path: "/f\(id)", [.queued(size: 1), .started]) }
        feed(&state, job: 3, path: "/f3", [.completed(remoteID: "x", md5: "y")])
        #expect(state.queue.selected == selected)
        #expect(state.queue.offset == offset)
    }

    @Test("p pauses and resumes; + and - change concurrency within 1...64")
    func pauseAndConcurrency() {
        var state = sampleState()
        #expect(press(&state, .togglePause) == [.engine(.pause)])
        #expect(state.isPaused)
        #expect(press(&state, .togglePause) == [.engine(.resume)])
        #expect(press(&state, .moreJobs) == [.engine(.setConcurrency(5))])
        for _ in 0..<10 { press(&state, .fewerJobs) }
        #expect(state.concurrency == 1)
    }
}

@Suite("Reducer: quitting, overlays, keys")
struct QuitReducerTests {
    @Test("q quits at once when nothing is unfinished")
    func quitIdle() {
        var state = sampleState()
        #expect(press(&state, .quit) == [.quit(cancelling: false)])
        #expect(state.isQuitting)
    }

    @Test("q asks while uploads are unfinished: n stays, y quits cancelling their sessions")
    func quitAsks() {
        var state = sampleState()
        feed(&state, job: 1, path: "/a", [.queued(size: 1), .started])
        #expect(press(&state, .quit).isEmpty)
        #expect(state.overlay == .confirmQuit)
        #expect(KeyMap.action(for: .character("n"), in: state) == .declineQuit)
        press(&state, .declineQuit)
        #expect(state.overlay == nil)
        #expect(!state.isQuitting)
        press(&state, .quit)
        #expect(KeyMap.action(for: .character("y"), in: state) == .confirmQuit)
        #expect(press(&state, .confirmQuit) == [.quit(cancelling: true)])
    }

    @Test("Ctrl-C once behaves like q; twice within two seconds quits at once, cancelling")
    func interrupt() {
        var state = sampleState()
        feed(&state, job: 1, path: "/a", [.queued(size: 1)])
        #expect(press(&state, .interrupt, at: .seconds(10)).isEmpty)
        #expect(state.overlay == .confirmQuit)
        #expect(KeyMap.action(for: .ctrlC, in: state) == .interrupt)
        #expect(press(&state, .interrupt, at: .seconds(11)) == [.quit(cancelling: true)])

        var slow = sampleState()
        feed(&slow, job: 1, path: "/a", [.queued(size: 1)])
        press(&slow, .interrupt, at: .seconds(10))
        press(&slow, .declineQuit)
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
    }
}
