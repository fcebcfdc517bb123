import Foundation
import HoistAgent
import HoistEngine
import HoistTerminal
import Testing
@testable import HoistTUI

/// The queue lists only the latest done rows: a run of 100,000 files kept a row of about
/// 0.5 KB for each. The counts, the bytes and the selection must not notice.
@Suite("Done rows beyond the latest are counted, not listed")
struct UnlistedDoneTests {
    private static let story: [EngineEvent.Kind] = [.queued(size: 10), .started, .sessionCreated(remoteID: "r", filename: "f"),
                                                    .progress(sent: 10, total: 10), .completing, .completed(remoteID: "r", md5: "m")]

    private func state(listing: Int) -> AppState {
        var state = AppState(size: Size(rows: 24, columns: 80), directory: "/d", destination: "x", concurrency: 2)
        state.queue.listsDone = listing
        return state
    }

    @Test("40 jobs done with room for 8: at most 10 done rows listed, every count and byte as if all were")
    func countsStayWhole() {
        var state = state(listing: 8)
        feed(&state, job: 0, path: "/d/keep", [.queued(size: 7)])
        for job in 1...40 {
            feed(&state, job: job, path: "/d/\(job)", Self.story, start: .seconds(job * 10))
            let done = state.queue.rows.filter { $0.state == .done }.count
            #expect(done <= 10 && done + state.queue.unlisted.count == job)
        }
        let counts = state.queue.counts
        #expect(counts.done == 40 && counts.queued == 1 && counts.total == 41)
        #expect(counts.bytes == 40 * 10 + 7 && counts.sentBytes == 40 * 10)
        // The oldest went first; the queued row and the latest done stay, in order.
        let listed = state.queue.rows.map(\.id.rawValue)
        #expect(listed.first == 0 && listed == listed.sorted() && listed.last == 40)
        #expect(QueuePane.title(state).contains("40/41") && QueuePane.title(state).contains("\(state.queue.unlisted.count) done not listed"))
        #expect(state.queue.row(JobID(40))?.state == .done && state.queue.row(JobID(1)) == nil)
    }

    @Test("over ASCII glyphs hoist's own marks are ASCII (the title's separator, the log's arrow, the too-small size), while a name keeps its own characters")
    func asciiMarks() {
        var state = state(listing: 2)
        state.glyphs = .ascii
        for job in 1...5 { feed(&state, job: job, path: "/d/a·b \(job).txt", Self.story, start: .seconds(job * 10)) }
        #expect(QueuePane.title(state).hasSuffix(" - \(state.queue.unlisted.count) done not listed") && state.queue.unlisted.count > 0, "\(QueuePane.title(state))")
        #expect(state.log.contains { $0.text.hasPrefix("done a·b 5.txt -> ") }, "\(state.log.map(\.text))")
        let small = SnapshotScenes.render(SnapshotScenes.busy(size: Size(rows: 12, columns: 50)), glyphs: .ascii)
        #expect(small.contains("50x12, hoist needs 60x15"), "\(small)")
        state.glyphs = .unicode
        #expect(QueuePane.title(state).hasSuffix(" · \(state.queue.unlisted.count) done not listed"))
    }

    @Test("the selected done row stays listed, and the rows in view stay in place as older ones leave")
    func selectionAndViewStay() {
        var state = state(listing: 4)
        for job in 1...5 { feed(&state, job: job, path: "/d/\(job)", Self.story, start: .seconds(job * 10)) }
        state.queue.follows = false
        state.queue.selected = JobID(2)
        state.queue.offset = 1
        let shownFirst = state.queue.rows[state.queue.offset].id
        for job in 6...12 { feed(&state, job: job, path: "/d/\(job)", Self.story, start: .seconds(job * 10)) }
        #expect(state.queue.row(JobID(2))?.state == .done)
        #expect(state.queue.selected == JobID(2) && state.queue.selectedIndex == 0)
        #expect(state.queue.unlisted.count > 0 && !state.queue.unlisted.contains(JobID(2)))
        #expect(state.queue.offset == 0 && shownFirst == JobID(2))
    }

    @Test("an engine's word on a job no longer listed (its snapshot sent again) does not bring the row back; a new engine's ids do")
    func snapshotsDoNotReturn() {
        var state = state(listing: 2)
        for job in 1...6 { feed(&state, job: job, path: "/d/\(job)", Self.story, start: .seconds(job * 10)) }
        #expect(state.queue.unlisted.contains(JobID(1)) && state.queue.row(JobID(1)) == nil)
        let before = state.queue
        feed(&state, job: 1, path: "/d/1", Self.story, start: .seconds(100))
        #expect(state.queue == before)
        // Another engine numbers its jobs from the start again: its job 1 is a new job.
        _ = Reducer.reduce(&state, .attached(engine: AttachedEngine(instance: "9@9", pid: 9, version: "0"), snapshot: []),
                           now: .seconds(200), wall: wall)
        feed(&state, job: 1, path: "/d/new", [.queued(size: 3)], start: .seconds(201))
        #expect(state.queue.row(JobID(1))?.path == "/d/new")
        #expect(state.queue.counts.done == 6 && state.queue.counts.queued == 1)
    }

    @Test("rows leave in the order their jobs were done: one queued first and done last is the latest done, and stays")
    func leaveInDoneOrder() {
        var state = state(listing: 4)
        feed(&state, job: 1, path: "/d/slow", Array(Self.story.prefix(4)))
        for job in 2...8 { feed(&state, job: job, path: "/d/\(job)", Self.story, start: .seconds(job * 10)) }
        state.queue.selected = JobID(8)
        // Job 1 ends last: the batch that makes six done rows keeps it, the latest.
        feed(&state, job: 1, path: "/d/slow", Array(Self.story.suffix(2)), start: .seconds(100))
        #expect(state.queue.row(JobID(1))?.state == .done)
        #expect(state.queue.rows.map(\.id.rawValue) == [1, 6, 7, 8])
        #expect(state.queue.counts.done == 8 && state.uploaded["/d/slow"] != nil)
        #expect(state.log.contains { $0.text.hasPrefix("done slow") })
    }

    @Test("a snapshot replayed at attach marks every file it says is done in the browser, listed or not")
    func replayStampsEveryDoneFile() {
        var state = state(listing: 2)
        var snapshot: [EngineEvent] = []
        for job in 1...10 {
            for (i, kind) in Self.story.enumerated() {
                snapshot.append(EngineEvent(job: JobID(job), path: "/d/\(job)", kind: kind, time: .seconds(job * 10 + i)))
            }
        }
        _ = Reducer.reduce(&state, .attached(engine: AttachedEngine(instance: "1@1", pid: 1, version: "0"), snapshot: snapshot),
                           now: .seconds(200), wall: wall)
        #expect(state.queue.counts.done == 10 && state.queue.rows.count <= 3)
        #expect((1...10).allSatisfy { state.uploaded["/d/\($0)"]?.size == 10 })
    }

    @Test("done jobs the background engine counts instead of sending: counted once at an attach, once again at the next, and kept past a new engine")
    func engineCountsUnlisted() {
        var state = state(listing: 100)
        func done(_ jobs: ClosedRange<Int>) -> [EngineEvent] {
            jobs.flatMap { job in Self.story.map { EngineEvent(job: JobID(job), path: "/d/\(job)", kind: $0, time: .seconds(job)) } }
        }
        func unlisted(_ ids: [Int]) -> UnlistedJobs {
            var jobs = UnlistedJobs()
            for id in ids { jobs.insert(id, bytes: 10) }
            return jobs
        }
        // The engine counts jobs 1 to 5, sends 6 to 8 done and 9 queued.
        let first = AttachedEngine(instance: "1@1", pid: 1, version: "0", unlistedDone: unlisted(Array(1...5)))
        _ = Reducer.reduce(&state, .attached(engine: first, snapshot: done(6...8) + [EngineEvent(job: JobID(9), path: "/d/9", kind: .queued(size: 4))]),
                           now: .seconds(100), wall: wall)
        var counts = state.queue.counts
        #expect(counts.done == 8 && counts.queued == 1 && counts.bytes == 8 * 10 + 4 && counts.sentBytes == 80)
        #expect(state.queue.rows.map(\.id.rawValue) == [6, 7, 8, 9] && state.queue.unlisted.contains(JobID(3)))
        // Attached again to the same engine, which has meanwhile finished 9 and counts 1 to 7:
        // the rows of 6 and 7 go, and nothing is counted twice.
        var again = first
        again.unlistedDone = unlisted(Array(1...7))
        _ = Reducer.reduce(&state, .attached(engine: again, snapshot: done(8...9)), now: .seconds(200), wall: wall)
        counts = state.queue.counts
        #expect(counts.done == 9 && counts.total == 9 && counts.bytes == 90 && counts.sentBytes == 90)
        #expect(state.queue.rows.map(\.id.rawValue) == [8, 9])
        // A later word on a counted job does not bring its row back.
        feed(&state, job: 6, path: "/d/6", Self.story, start: .seconds(300))
        #expect(state.queue.row(JobID(6)) == nil && state.queue.counts.done == 9)
        // A new engine counts its own from its first id; the old one's done stay counted.
        let next = AttachedEngine(instance: "2@2", pid: 2, version: "0", unlistedDone: unlisted([1, 2]))
        _ = Reducer.reduce(&state, .attached(engine: next, snapshot: done(3...3)), now: .seconds(400), wall: wall)
        counts = state.queue.counts
        #expect(counts.done == 9 + 3 && counts.bytes == 120)
        #expect(state.queue.row(JobID(3))?.state == .done && state.queue.row(JobID(1)) == nil)
    }
}
