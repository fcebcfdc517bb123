import HoistAgent
import HoistEngine
import Testing
@testable import hoist

/// `hoist jobs`: a job's line from the fold of its events.
@Suite("hoist jobs: a job's line")
struct JobsListingTests {
    static func line(_ kinds: [EngineEvent.Kind]) -> (JobSummary?, String?) {
        let events = kinds.map { EngineEvent(job: JobID(7), path: "/big.iso", kind: $0, time: .zero) }
        let job = JobSummary.fold(events).last
        return (job, job.map(JobsCommand.human))
    }

    @Test("a resume hashing the parts the store holds reads verifying N% of them, running, nothing sent; then uploading")
    func verifying() {
        let gib: Int64 = 1 << 30
        let start: [EngineEvent.Kind] = [.queued(size: 4 * gib), .started]
        var (job, text) = Self.line(start + [.verifying(checked: 0, total: gib)])
        #expect(text == "#7  verifying 0%   /big.iso")
        #expect(job?.isRunning == true)
        (job, text) = Self.line(start + [.verifying(checked: 0, total: gib), .verifying(checked: gib / 4 + 1, total: gib)])
        #expect(text == "#7  verifying 25%  /big.iso")
        #expect(job?.sent == 0 && job?.size == 4 * gib)
        let json = job.map { JobsCommand.json($0, with: JobsCommand.jsonEncoder()) } ?? ""
        #expect(json.contains(#""check_total":1073741824,"checked":268435457"#) && json.contains(#""state":"verifying""#), "\(json)")
        // A check that found nothing to keep: done at once, 100 %, as the TUI's row says.
        (_, text) = Self.line(start + [.verifying(checked: 0, total: 0)])
        #expect(text == "#7  verifying 100% /big.iso")
        (job, text) = Self.line(start + [.verifying(checked: gib, total: gib), .resumed(held: gib, total: 4 * gib)])
        #expect(text == "#7  uploading 25%  /big.iso")
        #expect(job?.state == .uploading && job?.sent == gib)
        #expect(job.map { JobsCommand.json($0, with: JobsCommand.jsonEncoder()) }?.contains("checked") == false)
    }

    @Test("a job cancelled with its session still open on the server says so, in the line and in the JSON; a retry forgets it")
    func cancelNotYetOnTheServer() {
        let start: [EngineEvent.Kind] = [.queued(size: 10), .started, .sessionCreated(remoteID: "fil_7", filename: "big.iso")]
        var (job, text) = Self.line(start + [.cancelPending(reason: "network error: connection refused"), .cancelled])
        #expect(text == "#7  cancelled      /big.iso  (session still open on the server: network error: connection refused)")
        let json = job.map { JobsCommand.json($0, with: JobsCommand.jsonEncoder()) } ?? ""
        #expect(json.contains(#""cancel_pending":"network error: connection refused""#) && json.contains(#""state":"cancelled""#), "\(json)")
        (job, text) = Self.line(start + [.cancelled])
        #expect(text == "#7  cancelled      /big.iso")
        (job, text) = Self.line(start + [.cancelPending(reason: "x"), .cancelled, .queued(size: 10)])
        #expect(job?.cancelPending == nil && text == "#7  queued         /big.iso")
    }
}
