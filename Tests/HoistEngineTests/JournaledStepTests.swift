import Foundation
import Testing

@testable import HoistEngine

@Suite struct JournaledStepTests {
    let file = FileIdentity(path: "/data/a.txt", size: 5, mtimeNanos: 1)
    let session = RemoteSession(id: "fil_1", filename: "a.txt", uploadURL: "http://h/storage/fil_1/a.txt",
                                uploadHeaders: [.init("content-type", "text/plain")], expiresAt: nil)

    @Test func skippedRepeatsLeaveTheRowAsEveryWriteWould() throws {
        let journal = try Journal.inMemory()
        let row = try journal.insert(endpoint: "e", file: file)
        var tracker = JournaledStep.Tracker(journal: journal, row: row)

        try tracker.record(.creating, requestedName: "a.txt", intentAt: Date(timeIntervalSince1970: 10))
        try tracker.record(.uploading, session: session)
        // The `.upload` intent repeats the create result: skipped, and the row says the same.
        try tracker.record(.uploading, session: session)
        #expect(tracker.last == JournaledStep(state: .uploading, session: session, md5: nil))
        try tracker.record(.completing, md5: "abc")
        try tracker.record(.completing, session: session, md5: "abc")
        var entry = try #require(try journal.latest(endpoint: "e", file: file))
        #expect(entry.state == .completing)
        #expect(entry.session == session)
        #expect(entry.md5 == "abc")
        #expect(entry.requestedName == "a.txt")

        try tracker.record(.completed, session: session, md5: "abc")
        entry = try #require(try journal.latest(endpoint: "e", file: file))
        #expect(entry.state == .completed)
    }

    @Test func aResumedRunWritesItsFirstStepWhateverTheRowHolds() throws {
        let journal = try Journal.inMemory()
        let row = try journal.insert(endpoint: "e", file: file)
        try journal.update(row, state: .failed, error: "earlier run")
        var tracker = JournaledStep.Tracker(journal: journal, row: row)
        try tracker.record(.uploading, session: session)
        let entry = try #require(try journal.latest(endpoint: "e", file: file))
        #expect(entry.state == .uploading)
        #expect(entry.session == session)
    }
}
