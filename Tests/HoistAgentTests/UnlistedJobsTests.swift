import Foundation
import HoistAgent
import HoistEngine
import Testing

/// The engine's book keeps the latest completed jobs whole and counts the older ones by
/// id: a book of every job of a 100,000-file run took the engine from 60 to 125 MiB.
@Suite("the job book counts older completed jobs instead of keeping them")
struct UnlistedJobsTests {
    private func event(_ job: Int, _ kind: EngineEvent.Kind) -> EngineEvent { EngineEvent(job: JobID(job), path: "/\(job)", kind: kind) }

    private func complete(_ job: Int, size: Int64, in book: inout JobBook) {
        for kind: EngineEvent.Kind in [.queued(size: size), .started, .sessionCreated(remoteID: "fil_\(job)", filename: "\(job)"),
                                       .completed(remoteID: "fil_\(job)", md5: "m")] {
            book.record(event(job, kind))
        }
    }

    @Test("runs join as ids come in any order; an id already counted is not counted again")
    func runsJoin() throws {
        var jobs = UnlistedJobs()
        for id in [5, 3, 4, 9, 1, 2, 4] { jobs.insert(id, bytes: Int64(id)) }
        #expect(jobs.runs == [.init(lower: 1, upper: 6, bytes: 15), .init(lower: 9, upper: 10, bytes: 9)])
        #expect(jobs.count == 6 && jobs.bytes == 24)
        #expect([1, 5, 9].allSatisfy(jobs.contains) && ![0, 6, 8, 10].contains(where: jobs.contains))
        #expect(jobs.ids == RangeSet([1..<6, 9..<10]))
        // On the wire: [[lower, upper, bytes]], read back the same.
        let data = try JSONEncoder().encode(jobs)
        #expect(String(decoding: data, as: UTF8.self) == "[[1,6,15],[9,10,9]]")
        #expect(try JSONDecoder().decode(UnlistedJobs.self, from: data) == jobs)
        // Runs out of order, touching, empty, or with negative bytes are refused.
        for bad in ["[[5,6,1],[1,2,1]]", "[[1,3,1],[3,4,1]]", "[[2,2,0]]", "[[1,2,-1]]", "[[1,2]]"] {
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(UnlistedJobs.self, from: Data(bad.utf8)) }
        }
    }

    @Test("beyond the latest 3 completed, the oldest completed leave the snapshot and are counted by id with their bytes; unfinished and failed ones stay")
    func bookKeepsLatestDone() {
        var book = JobBook(keepsDone: 3)
        book.record(event(1, .queued(size: 1)))
        book.record(event(1, .failed(.network("reset"))))
        book.record(event(2, .queued(size: 2)))
        for job in [4, 3, 6, 5, 7] { complete(job, size: Int64(job) * 10, in: &book) }
        // Completed in the order 4, 3, 6, 5, 7: the first two to complete are counted.
        #expect(book.unlisted.runs == [.init(lower: 3, upper: 5, bytes: 70)])
        #expect(book.ids == [JobID(1), JobID(2), JobID(5), JobID(6), JobID(7)] && book.count == 5)
        #expect(book.knows(JobID(3)) && book.knows(JobID(4)) && !book.knows(JobID(8)))
        #expect(book.remoteID(of: JobID(4)) == nil && book.remoteID(of: JobID(5)) == "fil_5")
        #expect(book.unfinished == 1)
        // A late word on a counted job changes nothing.
        let before = book
        book.record(event(3, .queued(size: 30)))
        #expect(book == before)
        // The snapshot holds the kept jobs only; the failed job and the queued one stay.
        #expect(Set(book.replay.map(\.job)) == [JobID(1), JobID(2), JobID(5), JobID(6), JobID(7)])
        complete(2, size: 20, in: &book)
        // Job 2 is the latest to complete; 6, the oldest kept, is counted, apart from 3 and 4.
        #expect(book.unlisted.runs == [.init(lower: 3, upper: 5, bytes: 70), .init(lower: 6, upper: 7, bytes: 60)])
        #expect(book.unlisted.count == 3 && book.ids == [JobID(1), JobID(2), JobID(5), JobID(7)])
        #expect(book.unfinished == 0)
    }

    @Test("20,000 completed jobs leave the book holding 1,000, the rest in one run")
    func largeRunStaysSmall() {
        var book = JobBook()
        for job in 1...20_000 { complete(job, size: 4, in: &book) }
        #expect(book.count == 1_000 && book.unlisted.count == 19_000 && book.unlisted.bytes == 76_000)
        #expect(book.unlisted.runs.count == 1)
    }

    @Test("the greeting's unlisted_done survives its line")
    func greetingCarriesUnlisted() throws {
        var notice = AgentNotice(.hello)
        var jobs = UnlistedJobs()
        for id in 1...4 { jobs.insert(id, bytes: 100) }
        notice.unlistedDone = jobs
        #expect(notice.line.contains(#""unlisted_done":[[1,5,400]]"#))
        guard case .notice(let read)? = AgentLine(notice.line.dropLast()) else {
            Issue.record("the greeting did not read back as a notice")
            return
        }
        #expect(read.unlistedDone == jobs)
        #expect(AgentLine(#"{"event":"hello"}"#) == .notice(AgentNotice(.hello)))
    }
}
