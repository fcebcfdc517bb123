import Foundation
import HoistAgent
import HoistEngine
import HoistTestSupport
import Testing

/// The agent protocol's lines, the job book and the lock: pure or local, no engine.
@Suite("agent protocol: lines, snapshot book, lock, paths")
struct AgentWireTests {
    static let kinds: [EngineEvent.Kind] = [
        .queued(size: 42), .started, .sessionCreated(remoteID: "fil_1", filename: "a b.txt"),
        .sessionCreated(remoteID: "fil_1", filename: "a b.txt", resumed: true), .progress(sent: 10, total: 42),
        .completing, .completed(remoteID: "fil_1", md5: "0123456789abcdef0123456789abcdef"),
        .retrying(attempt: 2, delay: .milliseconds(1500), reason: "network error: reset"),
        .failed(.http(status: 413, code: "too_large", message: "file of 9 bytes is \"too\" large\n")),
        .failed(.refused(host: "127.0.0.1", port: 9)), .cancelled, .cancelPending(reason: "server answered 503: busy"), .cancelDone,
        .resumed(held: 16 << 20, total: 42 << 20), .verifying(checked: 0, total: 16 << 20), .verifying(checked: 16 << 20, total: 16 << 20),
    ]

    @Test("every event survives its wire line in every dialect: kind, job, path, remote name, time to the microsecond, the whole error",
          arguments: Dialect.allCases)
    func eventsRoundTrip(dialect: Dialect) throws {
        for kind in Self.kinds {
            let event = EngineEvent(job: JobID(7), path: "/tmp/ü \"x\".bin", kind: kind, time: .microseconds(12_345_678_901))
            let remote: String? = switch kind {
            case .sessionCreated(let id, _, _), .completed(let id, _): id
            default: nil
            }
            let line = event.wireLine(dialect: dialect, remoteID: remote)
            #expect(!line.contains("\n"))
            let back = try #require(EngineEvent(wireLine: line), "\(line)")
            #expect(back == event, "\(line)")
            if case .failed(let error) = back.kind {
                #expect(error.codeName == (kind == Self.kinds[8] ? "client" : "refused"))
            }
        }
    }

    @Test("the wire line is the --json line with job and time added")
    func sameVocabulary() throws {
        let event = EngineEvent(job: JobID(3), path: "/a", kind: .progress(sent: 5, total: 9), time: .seconds(2))
        let script = try #require(event.jsonLine(dialect: .lightfield, remoteID: "fil_9"))
        let wire = event.wireLine(dialect: .lightfield, remoteID: "fil_9")
        let a = try #require(try JSONSerialization.jsonObject(with: Data(script.utf8)) as? [String: Any])
        var b = try #require(try JSONSerialization.jsonObject(with: Data(wire.utf8)) as? [String: Any])
        #expect(b.removeValue(forKey: "job") as? Int == 3)
        #expect(b.removeValue(forKey: "time") as? Double == 2)
        #expect(NSDictionary(dictionary: a).isEqual(to: b))
    }

    @Test("lines that are not events: notices parse, junk does not")
    func notices() {
        #expect(EngineEvent(wireLine: #"{"event":"hello","protocol":1}"#) == nil)
        #expect(EngineEvent(wireLine: "not json") == nil)
        #expect(EngineEvent(wireLine: #"{"event":"progress","job":1,"path":"/a"}"#) == nil, "progress without its numbers")
        guard case .notice(let notice)? = AgentLine(#"{"event":"added","tag":4,"jobs":[1,2]}"#) else {
            Issue.record("added did not parse")
            return
        }
        #expect(notice.event == .added && notice.tag == 4 && notice.jobs == [1, 2])
        #expect(AgentLine(#"{"event":"bogus"}"#) == nil)
        #expect(AgentLine("") == nil)
    }

    @Test("requests survive their line")
    func requests() throws {
        for request in [AgentRequest.hello(version: "0.3.0", destination: "http://x"),
                        .hello(version: "0.3.0", destination: "http://x", options: ["--limit-rate": "512000", "--no-clobber": "on"]),
                        .add(["/a", "/b\n"], tag: 1),
                        .job(.cancel, 3), .value(.rateLimit, nil), .value(.concurrency, 2), .stop(now: true)] {
            let line = request.line
            #expect(line.hasSuffix("\n") && line.dropLast().contains("\n") == false)
            #expect(try JSONDecoder().decode(AgentRequest.self, from: Data(line.utf8)) == request)
        }
        #expect(AgentRequest.hello(version: "v", destination: nil).line.contains(#""protocol":\#(AgentProtocol.version)"#))
    }

    @Test("an ended job's cancel still to make on the server is in the snapshot, for a client that attaches later")
    func bookKeepsACancelPending() {
        var book = JobBook()
        for kind: EngineEvent.Kind in [.queued(size: 5), .started, .sessionCreated(remoteID: "fil_1", filename: "1"), .progress(sent: 2, total: 5),
                                       .cancelPending(reason: "server answered 503: busy"), .cancelled] {
            book.record(EngineEvent(job: JobID(1), path: "/1", kind: kind))
        }
        #expect(book.replay.map(\.kind) == [.queued(size: 5), .sessionCreated(remoteID: "fil_1", filename: "1"), .cancelPending(reason: "server answered 503: busy"),
                                             .progress(sent: 2, total: 5), .cancelled])
        #expect(book.unfinished == 0)
        #expect(JobSummary.fold(book.replay).first?.cancelPending == "server answered 503: busy")
        // Made later: said after the end, and the job's line no longer says it is open.
        book.record(EngineEvent(job: JobID(1), path: "/1", kind: .cancelDone))
        #expect(book.replay.last?.kind == .cancelDone && book.unfinished == 0)
        #expect(JobSummary.fold(book.replay).first.map { ($0.state, $0.cancelPending) } ?? (.queued, "none") == (.cancelled, nil))
        // Made before the end (the journal's retry was quick): the snapshot says nothing is pending.
        for kind: EngineEvent.Kind in [.queued(size: 5), .started, .cancelPending(reason: "503"), .cancelDone, .cancelled] {
            book.record(EngineEvent(job: JobID(2), path: "/2", kind: kind))
        }
        #expect(book.replay.filter { $0.job == JobID(2) }.map(\.kind) == [.queued(size: 5), .cancelled])
        #expect(JobSummary.fold(book.replay).last?.cancelPending == nil)
        // Of a job the book does not hold: no entry, nothing counted as unfinished.
        book.record(EngineEvent(job: JobID(9), path: "/9", kind: .cancelDone))
        #expect(book.count == 2 && book.unfinished == 0)
    }

    @Test("the book keeps each job's latest progress, restarts a retried job at queued, replays in id order")
    func book() {
        var book = JobBook()
        func event(_ job: Int, _ kind: EngineEvent.Kind) -> EngineEvent { EngineEvent(job: JobID(job), path: "/\(job)", kind: kind) }
        book.record(event(2, .queued(size: 10)))
        book.record(event(1, .queued(size: 5)))
        book.record(event(2, .started))
        book.record(event(2, .sessionCreated(remoteID: "fil_2", filename: "2")))
        for sent in [1, 4, 8] as [Int64] { book.record(event(2, .progress(sent: sent, total: 10))) }
        #expect(book.replay.map(\.kind) == [
            .queued(size: 5), .queued(size: 10), .started, .sessionCreated(remoteID: "fil_2", filename: "2"), .progress(sent: 8, total: 10),
        ])
        #expect(book.unfinished == 2)
        book.record(event(2, .failed(.network("reset"))))
        #expect(book.unfinished == 1)
        // An ended job keeps what a late client needs: queued, its session, how far it got, its end.
        #expect(book.replay.filter { $0.job == JobID(2) }.map(\.kind) == [
            .queued(size: 10), .sessionCreated(remoteID: "fil_2", filename: "2"), .progress(sent: 8, total: 10), .failed(.network("reset")),
        ])
        book.record(event(2, .queued(size: 10)))
        #expect(book.replay.filter { $0.job == JobID(2) }.map(\.kind) == [.queued(size: 10)])
        #expect(book.remoteID(of: JobID(2)) == "fil_2")
        #expect(book.unfinished == 2 && book.count == 2)
        // A completed one needs no progress: completed says every byte went.
        for kind: EngineEvent.Kind in [.started, .sessionCreated(remoteID: "fil_3", filename: "2"), .progress(sent: 10, total: 10), .completing,
                                       .completed(remoteID: "fil_3", md5: "abc")] { book.record(event(2, kind)) }
        #expect(book.replay.filter { $0.job == JobID(2) }.map(\.kind) == [
            .queued(size: 10), .sessionCreated(remoteID: "fil_3", filename: "2"), .completed(remoteID: "fil_3", md5: "abc"),
        ])
        #expect(JobSummary.fold(book.replay).last == {
            var done = JobSummary(job: JobID(2), path: "/2")
            (done.state, done.size, done.sent, done.remoteID, done.md5) = (.completed, 10, 10, "fil_3", "abc")
            return done
        }())
        // Folded a job at a time, as `hoist jobs` reads the snapshot: the same jobs.
        book.record(event(3, .queued(size: 7)))
        book.record(event(3, .started))
        var folder = JobSummary.Folder()
        var streamed = book.replay.compactMap { folder.add($0) }
        if let last = folder.finish() { streamed.append(last) }
        #expect(streamed == JobSummary.fold(book.replay))
        #expect(streamed.map(\.job) == [JobID(1), JobID(2), JobID(3)] && streamed.map(\.isRunning) == [false, false, true])
        // A long check of a resume's parts reports often; the book keeps its latest report.
        let gib: Int64 = 1 << 30
        for checked in stride(from: Int64(0), through: gib, by: 1 << 20) { book.record(event(3, .verifying(checked: checked, total: gib))) }
        book.record(event(3, .resumed(held: gib, total: 2 * gib)))
        let expected: [EngineEvent.Kind] = [.queued(size: 7), .started, .verifying(checked: gib, total: gib), .resumed(held: gib, total: 2 * gib)]
        #expect(book.replay.filter { $0.job == JobID(3) }.map(\.kind) == expected)
    }

    @Test("the lock: one holder per journal, its pid readable, free again once released")
    func lock() throws {
        let directory = try TempDirectory.make(prefix: "hoist-lock")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let paths = AgentPaths(journal: directory + "/journal.sqlite", environment: [:])
        #expect(EngineLock.holder(paths) == nil)
        var held: EngineLock? = try EngineLock.acquire(paths)
        #expect(held != nil)
        #expect(EngineLock.holder(paths) == getpid())
        #expect(throws: AgentError.alreadyRunning(pid: getpid(), journal: paths.journal)) { try EngineLock.acquire(paths) }
        // A copy of the lock's descriptor, as a child forked by another thread holds until its
        // exec: the release must not wait for it (a full test run forks all the time).
        let copy = dup(try #require(Self.descriptorOpen(on: paths.lock), "the lock's descriptor"))
        #expect(copy >= 0)
        defer { close(copy) }
        held = nil
        #expect(EngineLock.holder(paths) == nil)
        _ = try EngineLock.acquire(paths)
    }

    /// A descriptor of this process open on `path` (from `/proc/self/fd`).
    private static func descriptorOpen(on path: String) -> Int32? {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        return fds.compactMap(Int32.init).first { fd in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")) == target
        }
    }

    @Test("the socket: under $XDG_RUNTIME_DIR/hoist named after the journal, else beside the journal")
    func paths() {
        let a = AgentPaths(journal: "/s/a/journal.sqlite", environment: ["XDG_RUNTIME_DIR": "/run/user/1"])
        let b = AgentPaths(journal: "/s/b/journal.sqlite", environment: ["XDG_RUNTIME_DIR": "/run/user/1"])
        #expect(a.socket.hasPrefix("/run/user/1/hoist/engine-") && a.socket.hasSuffix(".sock"))
        #expect(a.socket != b.socket)
        let c = AgentPaths(journal: "/s/a/journal.sqlite", environment: ["XDG_RUNTIME_DIR": "relative"])
        #expect(c.socket == "/s/a/engine.sock" && c.lock == "/s/a/journal.sqlite.engine.lock")
        #expect(AgentPaths(journal: "/" + String(repeating: "x", count: 120) + "/j", environment: [:]).socketFits == false)
    }
}
