import HoistEngine
import Testing
@testable import hoist

/// `hoist upload`'s figures, fed engine events as the engine sends them.
@Suite("hoist upload: the tally behind the progress line")
struct UploadTallyTests {
    /// A tally of `files` empty files in which `finished` ran with 100 ms creates and
    /// completes, and `running` more have started (creating their sessions).
    static func tally(files: Int, finished: Int, running: Int) -> UploadTally {
        var tally = UploadTally()
        var now = Duration.seconds(10)
        func event(_ job: Int, _ kind: EngineEvent.Kind) -> EngineEvent {
            EngineEvent(job: JobID(job), path: "/f/\(job)", kind: kind, time: now)
        }
        for job in 1...files { tally.record(event(job, .queued(size: 0))) }
        for job in 1...finished {
            tally.record(event(job, .started))
            now += .milliseconds(100)
            tally.record(event(job, .sessionCreated(remoteID: "fil_\(job)", filename: "\(job)")))
            tally.record(event(job, .completing))
            now += .milliseconds(100)
            tally.record(event(job, .completed(remoteID: "fil_\(job)", md5: "")))
        }
        for job in finished + 1...finished + running { tally.record(event(job, .started)) }
        return tally
    }

    @Test("the ETA's round trips are shared by the uploads running, more than --jobs said once adapting raised them")
    func etaFollowsTheUploadsRunning() throws {
        // 92 files left, each a 100 ms create and a 100 ms complete: 18.4 s of round trips.
        let raised = Self.tally(files: 100, finished: 8, running: 16)
        let eta = try #require(raised.figures(at: .seconds(20), concurrency: 4).eta)
        #expect(abs(eta.seconds - 18.4 / 16) < 0.01, "\(eta)")
        let four = Self.tally(files: 100, finished: 8, running: 4)
        let slower = try #require(four.figures(at: .seconds(20), concurrency: 4).eta)
        #expect(abs(slower.seconds - 18.4 / 4) < 0.01, "\(slower)")
    }

    @Test("bytes a shared file had sent before this command followed it (a joined job's replayed progress) are not counted as this run's")
    func bytesBeforeAttachingAreNotThisRuns() {
        func run(countsFrom: Duration) -> Int64 {
            var tally = UploadTally()
            tally.countsFrom = countsFrom
            func event(_ kind: EngineEvent.Kind, at seconds: Int) -> EngineEvent {
                EngineEvent(job: JobID(1), path: "/f/1", kind: kind, time: .seconds(seconds))
            }
            // As the engine's snapshot gives a job under way, then live.
            tally.record(event(.queued(size: 1_000), at: 1))
            tally.record(event(.started, at: 1))
            tally.record(event(.sessionCreated(remoteID: "fil_1", filename: "1"), at: 2))
            tally.record(event(.progress(sent: 600, total: 1_000), at: 5))
            tally.record(event(.progress(sent: 900, total: 1_000), at: 11))
            tally.record(event(.progress(sent: 1_000, total: 1_000), at: 12))
            tally.record(event(.completed(remoteID: "fil_1", md5: "m"), at: 12))
            return tally.window.total
        }
        #expect(run(countsFrom: .seconds(10)) == 400, "attached at 10 s: 600 bytes were sent before")
        #expect(run(countsFrom: .zero) == 1_000, "its own upload from the start")
    }

    @Test("the counts: completed files leave the open jobs; the totals keep them")
    func countsAndTotals() {
        let tally = Self.tally(files: 10, finished: 3, running: 2)
        let figures = tally.figures(at: .seconds(20), concurrency: 4)
        #expect(tally.count(.completed) == 3)
        #expect(figures.filesDone == 3 && figures.filesTotal == 10)
        #expect(figures.current == ["/f/4", "/f/5"])
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
