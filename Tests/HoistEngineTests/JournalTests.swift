import Foundation
import Testing

@testable import HoistEngine

@Suite struct JournalTests {
    @Test func recordsStepsAndFindsTheLatestRowByIdentity() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hoist-journal-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try Journal.open(path: directory + "/journal.sqlite")
        let file = FileIdentity(path: "/data/a.txt", size: 10, mtimeNanos: 42)
        let row = try journal.insert(endpoint: "http://e", file: file)
        let intent = Date(timeIntervalSince1970: 1_700_000_000)
        try journal.update(row, state: .creating, requestedName: "a.txt", intentAt: intent)
        let session = RemoteSession(id: "fil_1", filename: "a.txt", uploadURL: "http://e/s", uploadHeaders: [.init("content-type", "text/plain")], expiresAt: intent)
        try journal.update(row, state: .uploading, session: session)
        try journal.update(row, state: .completing, md5: "m")

        // A second process sees what the first wrote.
        let reopened = try Journal.open(path: directory + "/journal.sqlite")
        let entry = try #require(try reopened.latest(endpoint: "http://e", file: file))
        #expect(entry.state == .completing)
        #expect(entry.session == session)
        #expect(entry.md5 == "m")
        #expect(entry.requestedName == "a.txt")
        #expect(entry.intentAt == intent)
        #expect(try reopened.unfinished(endpoint: "http://e").map(\.rowID) == [row])
        #expect(try reopened.latest(endpoint: "http://other", file: file) == nil)
        #expect(try reopened.latest(endpoint: "http://e", file: FileIdentity(path: "/data/a.txt", size: 10, mtimeNanos: 43)) == nil)

        try reopened.update(row, state: .completed)
        #expect(try reopened.unfinished(endpoint: "http://e").isEmpty)
        let again = try reopened.insert(endpoint: "http://e", file: file)
        #expect(try reopened.latest(endpoint: "http://e", file: file)?.rowID == again)
    }
}
