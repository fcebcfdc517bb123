import Foundation
import HoistTestSupport
import Testing

@testable import HoistEngine

@Suite struct JournalTests {
    @Test("a journal whose directory cannot be made says which and why on one line (not Foundation's error dump); one whose directories are missing has them made")
    func aDirectoryThatCannotBeMadeIsNamed() throws {
        let directory = try TempDirectory.make(prefix: "hoist-journal-dir")
        let file = directory + "/state"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        do {
            _ = try Journal.open(path: file + "/hoist/journal.sqlite")
            Issue.record("a journal under a regular file opened")
        } catch {
            #expect(error.message == "journal: cannot create the directory \(file)/hoist: Not a directory", "\(error.message)")
        }
        _ = try Journal.open(path: directory + "/a/b/hoist/journal.sqlite")
        #expect(FileManager.default.fileExists(atPath: directory + "/a/b/hoist/journal.sqlite"))
    }

    @Test("a journal of an earlier hoist (rows keyed by the endpoint alone): its unfinished jobs, walks and aborts move to the destination, its completed rows answer for nothing")
    func adoptsUnfinishedWorkOfTheEndpointAlone() throws {
        let directory = try TempDirectory.make(prefix: "hoist-journal-legacy")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try Journal.open(path: directory + "/journal.sqlite")
        let done = FileIdentity(path: "/d/done.txt", size: 1, mtimeNanos: 1)
        let cut = FileIdentity(path: "/d/cut.txt", size: 2, mtimeNanos: 2)
        try journal.update(try journal.insert(endpoint: "http://h", file: done), state: .completed, md5: "m")
        let unfinished = try journal.insert(endpoint: "http://h", file: cut)
        try journal.update(unfinished, state: .uploading)
        _ = try journal.beginWalk(endpoint: "http://h", paths: ["/d/tree"])
        var configuration = EngineConfiguration(
            profile: Profile(name: "p", dialect: .lightfield, endpoint: "http://h", apiKeyEnv: "K", purpose: "general"), key: APIKey("k"))
        #expect(configuration.legacyJournalKey == "http://h")
        let destination = configuration.journalKey
        #expect(destination.hasPrefix("http://h (lightfield, purpose general, key "))
        try journal.adoptUnfinished(from: "http://h", to: destination)
        #expect(try journal.unfinished(endpoint: destination).map(\.rowID) == [unfinished])
        #expect(try journal.unfinishedWalks(endpoint: destination).paths == ["/d/tree"])
        #expect(try journal.completed(endpoint: destination, limit: 10).isEmpty)
        #expect(try journal.latest(endpoint: destination, file: done) == nil)
        // The embedded server's key loses its purpose; s3 and a caller's own key never moved.
        configuration.journalEndpoint = EngineConfiguration.embeddedDestination(dataDirectory: "/x/data", purpose: nil)
        #expect(configuration.legacyJournalKey == "embedded:/x/data")
        configuration.journalEndpoint = "test-endpoint"
        #expect(configuration.legacyJournalKey == nil)
    }

    @Test("two runs on one journal: a live run's unfinished rows and walks are not another's to take; a killed run's are, and its lock file goes")
    func liveRunsKeepTheirRows() throws {
        let directory = try TempDirectory.make(prefix: "hoist-journal-runs")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/journal.sqlite"
        let file = FileIdentity(path: "/d/a.txt", size: 3, mtimeNanos: 3)
        var first: Journal? = try Journal.open(path: path, claiming: true)
        let second = try Journal.open(path: path, claiming: true)
        let reader = try Journal.open(path: path)
        guard case .new(let row)? = try first?.admit(endpoint: "e", files: [file]).admissions.first else {
            Issue.record("the first run's admission")
            return
        }
        try first?.update(row, state: .uploading)
        _ = try first?.beginWalk(endpoint: "e", paths: ["/d/tree"])
        // The first run lives: its file is its own, and so are its row and its walk.
        let pid = String(getpid())
        #expect(try second.admit(endpoint: "e", files: [file]).admissions == [.elsewhere(pid: pid)])
        #expect(try second.otherRun(endpoint: "e", file: file) == pid)
        #expect(try second.unfinished(endpoint: "e").isEmpty)
        #expect(try second.unfinishedWalks(endpoint: "e").ids.isEmpty)
        // A journal opened only to read claims nothing: it sees what a killed run would leave.
        #expect(try reader.unfinished(endpoint: "e").map(\.rowID) == [row])
        #expect(try FileManager.default.contentsOfDirectory(atPath: path + ".runs").count == 2)
        // The first run ends without a word (as a kill would leave it, its lock is free).
        first = nil
        #expect(try second.otherRun(endpoint: "e", file: file) == nil)
        #expect(try second.unfinished(endpoint: "e").map(\.rowID) == [row])
        #expect(try second.unfinishedWalks(endpoint: "e").paths == ["/d/tree"])
        guard case .known(let entry)? = try second.admit(endpoint: "e", files: [file]).admissions.first else {
            Issue.record("the second run takes the row on")
            return
        }
        #expect(entry.rowID == row && entry.state == .uploading)
        #expect(try FileManager.default.contentsOfDirectory(atPath: path + ".runs").count == 1, "only the live run's lock is left")
    }

    @Test("two runs that start at once on a killed run's work: each unfinished row and walk goes to one of them, not to both")
    func aKilledRunsWorkGoesToOneRun() throws {
        let directory = try TempDirectory.make(prefix: "hoist-journal-race")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/journal.sqlite"
        let file = FileIdentity(path: "/d/a.txt", size: 3, mtimeNanos: 3)
        var killed: Journal? = try Journal.open(path: path, claiming: true)
        guard case .new(let row)? = try killed?.admit(endpoint: "e", files: [file]).admissions.first else {
            Issue.record("the killed run's admission")
            return
        }
        try killed?.update(row, state: .uploading)
        _ = try killed?.beginWalk(endpoint: "e", paths: ["/d/tree"])
        killed = nil
        let first = try Journal.open(path: path, claiming: true)
        let second = try Journal.open(path: path, claiming: true)
        // Both look before either queues anything: the first to look takes both.
        #expect(try first.unfinished(endpoint: "e").map(\.rowID) == [row])
        #expect(try first.unfinishedWalks(endpoint: "e").paths == ["/d/tree"])
        #expect(try second.unfinished(endpoint: "e").isEmpty)
        #expect(try second.unfinishedWalks(endpoint: "e").ids.isEmpty)
        // Asked again, the first still has them: they are its own now.
        #expect(try first.unfinished(endpoint: "e").map(\.rowID) == [row])
        #expect(try first.unfinishedWalks(endpoint: "e").paths == ["/d/tree"])
    }

    @Test("a run's lock left by a kill (no process holds it) counts as dead and is removed, also when a run starts; a name the journal holds is never a path")
    func deadRunLocks() throws {
        let directory = try TempDirectory.make(prefix: "hoist-journal-dead")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/journal.sqlite"
        let runs = JournalRun.directory(path)
        try FileManager.default.createDirectory(atPath: runs, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: runs + "/123-abcdef01.lock", contents: nil)
        #expect(!JournalRun.isAlive("123-abcdef01", journalPath: path))
        #expect(!FileManager.default.fileExists(atPath: runs + "/123-abcdef01.lock"))
        #expect(!JournalRun.isAlive("../../etc/passwd", journalPath: path))
        #expect(!JournalRun.isAlive("1-2-3", journalPath: path))
        // A run that starts clears what killed runs left, and keeps its own.
        FileManager.default.createFile(atPath: runs + "/456-abcdef02.lock", contents: nil)
        let live = try JournalRun(journalPath: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: runs) == [live.owner + ".lock"])
        #expect(JournalRun.isAlive(live.owner, journalPath: path))
    }

    @Test("a completed row answers only until another row of its name completes with other bytes after it, whichever row was made first, or while one is on its way")
    func aNameReplacedLaterByCompletionOverwrites() throws {
        let directory = try TempDirectory.make(prefix: "hoist-journal")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try Journal.open(path: directory + "/journal.sqlite")
        let a = FileIdentity(path: "/a/x.bin", size: 6, mtimeNanos: 1), b = FileIdentity(path: "/b/x.bin", size: 3, mtimeNanos: 2)
        func upload(_ row: Int64, md5: String, to state: JournalEntry.State = .completed) throws {
            try journal.update(row, state: .creating, requestedName: "x.bin", intentAt: Date())
            guard state != .creating else { return }
            try journal.update(row, state: .completing, md5: md5)
            if state == .completed { try journal.update(row, state: .completed) }
        }
        // Whether the file's newest row answers (an admission that does not adds a row).
        func answers(_ file: FileIdentity, at endpoint: String) throws -> Bool {
            let admitted = try journal.admit(endpoint: endpoint, files: [file], namesAreObjects: true)
            if case .known(let entry) = admitted.admissions[0], entry.state == .completed { return true }
            return false
        }
        // Two runs: a's row is made first, b's second; b completes, then a. The name holds
        // a's bytes: b's row answers for nothing, a's does.
        var rowA = try journal.insert(endpoint: "s3:one", file: a), rowB = try journal.insert(endpoint: "s3:one", file: b)
        try upload(rowB, md5: "bbb")
        try upload(rowA, md5: "aaa")
        #expect(try !answers(b, at: "s3:one"))
        #expect(try answers(a, at: "s3:one"))
        // a's bytes on their way to the name (its create made): b's row answers for nothing meanwhile.
        rowA = try journal.insert(endpoint: "s3:two", file: a)
        rowB = try journal.insert(endpoint: "s3:two", file: b)
        try upload(rowA, md5: "aaa", to: .creating)
        try upload(rowB, md5: "bbb")
        #expect(try !answers(b, at: "s3:two"))
    }

    @Test func recordsStepsAndFindsTheLatestRowByIdentity() throws {
        let directory = try TempDirectory.make(prefix: "hoist-journal")
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

    @Test func aNewRowForAChangedFileOrARefusedPathEndsThePathsOlderUnfinishedRows() throws {
        let directory = try TempDirectory.make(prefix: "hoist-journal")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try Journal.open(path: directory + "/journal.sqlite")
        let old = FileIdentity(path: "/data/a.txt", size: 10, mtimeNanos: 42)
        let gone = FileIdentity(path: "/data/gone.txt", size: 5, mtimeNanos: 7)
        let other = FileIdentity(path: "/data/b.txt", size: 3, mtimeNanos: 1)
        let first = try journal.admit(endpoint: "http://e", files: [old, gone, other]).admissions
        guard case .new(let oldRow) = first[0] else { Issue.record("\(first)"); return }
        try journal.update(oldRow, state: .uploading)

        // a.txt changed since; gone.txt is gone; b.txt is queued again as it was.
        let changed = FileIdentity(path: "/data/a.txt", size: 11, mtimeNanos: 50)
        let second = try journal.admit(endpoint: "http://e", files: [changed, other],
                                       refused: [(path: "/data/gone.txt", reason: "no such file")]).admissions
        guard case .new(let newRow) = second[0], case .known = second[1] else { Issue.record("\(second)"); return }
        let unfinished = try journal.unfinished(endpoint: "http://e")
        #expect(unfinished.map(\.file) == [other, changed], "\(unfinished)")
        #expect(unfinished.last?.rowID == newRow)
        let superseded = try #require(try journal.latest(endpoint: "http://e", file: old))
        #expect(superseded.state == .failed && superseded.error == Journal.supersededReason)
        #expect(try journal.latest(endpoint: "http://e", file: gone)?.error == "no such file")
        // Another endpoint's rows of the same path are its own.
        _ = try journal.admit(endpoint: "http://other", files: [old])
        _ = try journal.admit(endpoint: "http://e", files: [], refused: [(path: "/data/a.txt", reason: "x")])
        #expect(try journal.unfinished(endpoint: "http://other").map(\.file) == [old])
    }

    @Test("a changed or refused file's older row that another live run is uploading stays that run's: not ended, its multipart upload not queued for an abort")
    func aLiveRunsRowIsNotSuperseded() throws {
        let directory = try TempDirectory.make(prefix: "hoist-journal-live")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/journal.sqlite"
        let uploading = try Journal.open(path: path, claiming: true)
        let other = try Journal.open(path: path, claiming: true)
        let old = FileIdentity(path: "/data/a.bin", size: 90 << 20, mtimeNanos: 1)
        let refusedFile = FileIdentity(path: "/data/b.bin", size: 90 << 20, mtimeNanos: 1)
        let rows = try uploading.admit(endpoint: "s3", files: [old, refusedFile]).admissions
        guard case .new(let oldRow) = rows[0], case .new(let refusedRow) = rows[1] else { Issue.record("\(rows)"); return }
        for (row, key) in [(oldRow, "a.bin"), (refusedRow, "b.bin")] {
            try uploading.update(row, state: .uploading, session: RemoteSession(
                id: key, filename: key, uploadURL: "http://s3/b/\(key)", uploadHeaders: [], expiresAt: nil,
                multipart: .init(uploadID: "U-\(key)", partSize: 8 << 20)))
        }
        let changed = FileIdentity(path: "/data/a.bin", size: 91 << 20, mtimeNanos: 2)
        let admitted = try other.admit(endpoint: "s3", files: [changed], refused: [(path: "/data/b.bin", reason: "gone")])
        #expect(admitted.abortsQueued == 0)
        #expect(try uploading.latest(endpoint: "s3", file: old)?.state == .uploading)
        #expect(try uploading.latest(endpoint: "s3", file: refusedFile)?.state == .uploading)
        #expect(try other.pendingAborts(endpoint: "s3").isEmpty)
    }

    @Test func anEndedRowsMultipartUploadIsLeftToBeAborted() throws {
        let directory = try TempDirectory.make(prefix: "hoist-journal")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try Journal.open(path: directory + "/journal.sqlite")
        let big = FileIdentity(path: "/data/big.bin", size: 90 << 20, mtimeNanos: 1)
        let single = FileIdentity(path: "/data/one.txt", size: 9, mtimeNanos: 1)
        let rows = try journal.admit(endpoint: "s3", files: [big, single]).admissions
        guard case .new(let bigRow) = rows[0], case .new(let singleRow) = rows[1] else { Issue.record("\(rows)"); return }
        let multipart = RemoteSession(id: "big.bin", filename: "big.bin", uploadURL: "http://s3/b/big.bin", uploadHeaders: [],
                                      expiresAt: nil, multipart: .init(uploadID: "U1", partSize: 8 << 20))
        try journal.update(bigRow, state: .uploading, session: multipart)
        try journal.update(singleRow, state: .uploading,
                           session: RemoteSession(id: "one.txt", filename: "one.txt", uploadURL: "http://s3/b/one.txt", uploadHeaders: [], expiresAt: nil))

        // big.bin changed; one.txt is gone. Only the multipart upload has anything to abort.
        let changed = FileIdentity(path: "/data/big.bin", size: 90 << 20, mtimeNanos: 2)
        let admitted = try journal.admit(endpoint: "s3", files: [changed], refused: [(path: "/data/one.txt", reason: "gone")])
        #expect(admitted.abortsQueued == 1)
        let pending = try journal.pendingAborts(endpoint: "s3")
        #expect(pending.map(\.session.multipart?.uploadID) == ["U1"])
        #expect(try journal.pendingAborts(endpoint: "other").isEmpty)
    }
}
