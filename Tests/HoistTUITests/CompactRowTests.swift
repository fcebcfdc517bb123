import Foundation
import HoistEngine
import Testing
@testable import HoistTUI

/// What a finished row and a listed file keep: less memory, the same story.
@Suite("Compact rows and entries")
struct CompactRowTests {
    /// The lines of an ordinary upload, one second apart from `start`.
    private func ordinaryRow(remote: String = "fil_1", sessionLine: String? = nil, start: Duration = .seconds(3)) -> JobRow {
        var row = JobRow(id: JobID(1), path: "/data/a.png", size: 10)
        row.queued(size: 10, at: start, wall: wall(at: start))
        let lines = [JobRow.creatingText, sessionLine ?? JobRow.sessionText(remote), JobRow.uploadingText,
                     JobRow.completingText, JobRow.doneText(remote)]
        for (i, line) in lines.enumerated() {
            let time = start + .milliseconds(250 * (i + 1))
            row.remember(line, at: time, wall: wall(at: time))
        }
        row.remoteID = remote
        row.remoteName = "a.png"
        row.sent = 10
        row.state = .done
        return row
    }

    @Test("a done row's ordinary story is kept compact and reads exactly as before")
    func ordinaryStory() {
        let plain = ordinaryRow()
        var compact = plain
        compact.compact()
        #expect(compact.isCompact)
        #expect(!plain.isCompact)
        #expect(compact == plain)
        #expect(compact.history == plain.history)
        #expect(compact.history.map(\.text) == ["queued", "creating a session", "session fil_1", "uploading",
                                                "all bytes taken; completing", "done: fil_1"])
        #expect(compact.remoteID == "fil_1")
        #expect(compact.remoteName == "a.png")
        #expect(compact.retries == 0 && compact.error == nil && compact.retryAt == nil)
        #expect(compact.rate.bytesPerSecond(at: .seconds(10)) == nil)
    }

    @Test("a session line naming another remote or a stored name is rebuilt word for word")
    func otherSession() {
        let plain = ordinaryRow(remote: "https://cdn.example/a.png", sessionLine: "session upl_7 as a (1).png")
        var compact = plain
        compact.compact()
        #expect(compact.isCompact)
        #expect(compact.history == plain.history)
        #expect(compact.history[2].text == "session upl_7 as a (1).png")
    }

    @Test("a story with a retry or an unusual line, or a row not done, stays as it was")
    func unusualStories() {
        var retried = ordinaryRow()
        retried.retries = 1
        retried.compact()
        #expect(!retried.isCompact)

        var resumed = ordinaryRow()
        resumed.remember("resumed: 5 of 10 bytes already stored", at: .seconds(9), wall: wall(at: .seconds(9)))
        resumed.compact()
        #expect(!resumed.isCompact)

        var running = ordinaryRow()
        running.state = .completing
        running.compact()
        #expect(!running.isCompact)
    }

    @Test("times finer than a nanosecond (decimal seconds off the engine's socket) are kept to the nearest one")
    func finerTimes() {
        var row = JobRow(id: JobID(1), path: "/data/a.png", size: 10)
        // As the wire gives them: 50731.346742999995 s and the like.
        let times = [50731.346742999995, 50731.349306, 50731.367050999994, 50731.381466, 50731.388997999995]
            .map { Duration.seconds($0) }
        let lines = [JobRow.queuedText, JobRow.creatingText, JobRow.sessionText("fil_1"), JobRow.completingText,
                     JobRow.doneText("fil_1")]
        for (time, line) in zip(times, lines) { row.remember(line, at: time, wall: wall(at: time)) }
        row.remoteID = "fil_1"
        row.state = .done
        let plain = row
        row.compact()
        #expect(row.isCompact)
        #expect(row.history.map(\.text) == plain.history.map(\.text))
        #expect(row.history.map(\.wall) == plain.history.map(\.wall))
        for (kept, was) in zip(row.history, plain.history) {
            #expect(abs((kept.time - was.time).seconds) <= 1e-9, "\(kept.time) for \(was.time)")
        }
    }

    @Test("a compact row that changes again takes its whole story back first")
    func expandsOnChange() {
        var row = ordinaryRow()
        row.compact()
        let before = row.history
        row.queued(size: 10, at: .seconds(20), wall: wall(at: .seconds(20)))
        #expect(!row.isCompact)
        #expect(row.history.count == before.count + 1)
        #expect(Array(row.history.prefix(before.count)) == before)
        #expect(row.history.last?.text == "queued")
        #expect(row.state == .queued)
        #expect(row.remoteID == "fil_1")
    }

    @Test("the reducer keeps every done row compact, with its times")
    func reducerCompacts() {
        var state = sampleState()
        feed(&state, job: 1, path: "/data/a.png", [
            .queued(size: 1000), .started, .sessionCreated(remoteID: "fil_1", filename: "a.png"),
            .progress(sent: 0, total: 1000), .progress(sent: 1000, total: 1000), .completing,
            .completed(remoteID: "fil_1", md5: "abc"),
        ])
        let row = state.queue.rows[0]
        #expect(row.isCompact)
        #expect(row.state == .done)
        #expect(row.history.map(\.text) == ["queued", "creating a session", "session fil_1", "uploading",
                                            "all bytes taken; completing", "done: fil_1"])
        #expect(row.history.map(\.time) == [0, 1, 2, 3, 5, 6].map { Duration.seconds($0) })
        #expect(row.history.map(\.wall) == [0, 1, 2, 3, 5, 6].map { wall(at: .seconds($0)) })
    }

    @Test("an entry makes its path from its directory and name, and knows it without making it")
    func entryPaths() {
        let entry = DirectoryEntry(name: "a.png", directory: "/data/photos", isDirectory: false, size: 1)
        #expect(entry.path == "/data/photos/a.png")
        #expect(entry.isAt("/data/photos/a.png"))
        #expect(!entry.isAt("/data/photosXa.png"))
        #expect(!entry.isAt("/data/photos/a.pn"))
        #expect(!entry.isAt("/data/photo/sa.png"))
        let top = DirectoryEntry(name: "etc", path: "/etc", isDirectory: true, size: 0)
        #expect(top.directory == "/")
        #expect(top.path == "/etc")
        #expect(top.isAt("/etc"))
        #expect(!top.isAt("//etc"))
        #expect(DirectoryEntry(name: "b", path: "/x/y/b", isDirectory: false, size: 0).directory == "/x/y")
    }

    @Test("an entry's problem lives out of line and compares by value")
    func entryProblem() {
        var entry = DirectoryEntry(name: "a", directory: "/d", isDirectory: false, size: 0)
        #expect(entry.problem == nil)
        entry.problem = .emptyFile("/d/a")
        var copy = entry
        #expect(copy == entry)
        copy.problem = nil
        #expect(copy != entry)
        #expect(entry.problem == .emptyFile("/d/a"))
        // A listing of 100,000 files holds 100,000 of these.
        #expect(MemoryLayout<DirectoryEntry>.stride <= 64)
    }
}

/// The queue finds rows without a dictionary of every id, and still finds them all when
/// ids come out of order.
@Suite("Queue: finding rows")
struct RowIndexTests {
    private func add(_ queue: inout QueueState, _ ids: [Int]) {
        for id in ids { queue.update(JobID(id), path: "/f\(id)") { $0.size = Int64(id) } }
    }

    @Test("rows in the engine's order are found by search; retired rows by their ids")
    func inOrder() {
        var queue = QueueState()
        add(&queue, Array(1...50))
        for id in 1...50 { #expect(queue.row(JobID(id))?.size == Int64(id)) }
        #expect(queue.row(JobID(51)) == nil && queue.row(JobID(0)) == nil)
        for id in 1...20 { queue.update(JobID(id), path: "") { $0.state = .done } }
        queue.retireJobs()
        #expect(queue.rows.count == 20)
        add(&queue, [60, 61, 70])
        #expect(queue.rows.count == 23, "a known id never gets a second row")
        for row in queue.rows { #expect(queue.row(row.id)?.path == row.path) }
        #expect(queue.row(JobID(-1_000_000)) == nil && queue.row(JobID(-1_000_021)) == nil)
        queue.update(JobID(70), path: "") { $0.state = .done }
        queue.retireJobs()
        #expect(queue.rows.count == 21)
        for row in queue.rows { #expect(queue.row(row.id)?.path == row.path) }
    }

    @Test("an id that comes after a higher one falls back to a dictionary and is still found")
    func outOfOrder() {
        var queue = QueueState()
        add(&queue, [1, 2, 5, 3, 4, 5, 9, 7])
        #expect(queue.rows.map(\.id.rawValue) == [1, 2, 5, 3, 4, 9, 7])
        for id in [1, 2, 3, 4, 5, 7, 9] { #expect(queue.row(JobID(id))?.size == Int64(id)) }
        #expect(queue.selectedIndex == 0)
    }
}
