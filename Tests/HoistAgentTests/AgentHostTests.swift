import Foundation
import HoistAgent
import HoistEngine
import HoistTestSupport
import Testing

/// A real engine behind a real host and socket, against the test server, in-process.
@Suite("agent host: greeting, refusals, viewers, stop")
struct AgentHostTests {
    struct Running {
        let paths: AgentPaths
        let host: AgentHost
        let engine: UploadEngine
        let files: String
        let destination: String
        let served: Task<Void, any Error>
        let following: Task<Void, Never>
    }

    static func with(lineBuffer: Int = 200_000, keepsDone: Int = 1_000, _ body: (Running, TestServer) async throws -> Void) async throws {
        try await TestServer.with { server in
            let root = try TempDirectory.make(prefix: "hoist-agent")
            try FileManager.default.createDirectory(atPath: root + "/files", withIntermediateDirectories: true)
            let profile = Profile(name: "t", dialect: .lightfield, endpoint: server.baseURL, apiKeyEnv: nil, purpose: "general")
            var configuration = EngineConfiguration(profile: profile, key: APIKey(server.key))
            configuration.journalPath = root + "/journal.sqlite"
            configuration.clock = MachineEngineClock()
            let engine = try UploadEngine(configuration: configuration)
            let paths = AgentPaths(journal: root + "/journal.sqlite", environment: [:])
            let host = await AgentHost(
                engine: engine, settings: .init(label: "test", version: "9.9.9", idleTimeout: .seconds(600), lineBuffer: lineBuffer, keepsDone: keepsDone),
                clock: MachineEngineClock(), concurrency: 4, rateLimit: nil)
            let following = Task { await host.run() }
            let served = Task { try await AgentListener.serve(host, paths: paths) }
            let running = Running(paths: paths, host: host, engine: engine, files: root + "/files", destination: engine.destinationKey,
                                  served: served, following: following)
            try await withAwaitedCleanup(running, cleanup: { running in
                await running.host.stop(now: true, reason: "test over")
                await running.following.value
                _ = await running.served.result
            }) { running in
                // Listening once the socket exists with its final mode (bind, then chmod 0600,
                // inside a 0700 directory).
                #expect(await waitUntil { Self.mode(paths.socket) == 0o600 })
                try await body(running, server)
            }
        }
    }

    static func connect(_ running: Running, destination: String? = nil) async throws -> AgentConnection {
        try await AgentConnection.connect(running.paths, hello: .hello(version: "test", destination: destination ?? running.destination))
    }

    @Test("the socket is mode 0600 and the greeting names the engine")
    func greeting() async throws {
        try await Self.with { running, _ in
            #expect(Self.mode(running.paths.socket) == 0o600)
            #expect(Self.mode(running.paths.socketDirectory) == 0o700)
            let connection = try await Self.connect(running)
            #expect(connection.greeting.event == .hello && connection.greeting.pid == getpid())
            #expect(connection.greeting.version == "9.9.9" && connection.greeting.protocolVersion == AgentProtocol.version)
            #expect(connection.greeting.destination == running.destination && connection.greeting.dialect == "lightfield")
            connection.close()
        }
    }

    @Test("another protocol version is refused with both versions named; so is another destination")
    func refusals() async throws {
        try await Self.with { running, _ in
            var old = AgentRequest.hello(version: "0.1.0", destination: nil)
            old.protocolVersion = 99
            do {
                _ = try await AgentConnection.connect(running.paths, hello: old)
                Issue.record("a client of protocol 99 was greeted")
            } catch let error as AgentError {
                #expect(error.isPermanent)
                #expect(error.message.contains("protocol \(AgentProtocol.version)") && error.message.contains("hoist 9.9.9"), "\(error)")
            }
            do {
                _ = try await Self.connect(running, destination: "https://elsewhere.example")
                Issue.record("a client for another destination was greeted")
            } catch let error as AgentError {
                #expect(error.isPermanent)
                #expect(error.message.contains("hoist stop"), "\(error)")
            }
            // A request before hello is answered with an error, not acted on.
            let script = "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); "
                + "s.sendall(b'{\\\"op\\\":\\\"pause\\\"}\\n'); s.settimeout(5); print(s.recv(4096).decode())"
            let raw = try await Shell.run("python3 -c \(Tmux.quote(script)) \(Tmux.quote(running.paths.socket))")
            #expect(raw.stdout.contains("send hello first"), "\(raw.stdout) \(raw.stderr)")
            #expect(await running.engine.isPaused == false)
        }
    }

    @Test("a client of another user is refused even when the socket's modes would let it in",
          .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
                       && FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"),
                   "becoming another user takes root, setpriv and a system python3"))
    func otherUserRefused() async throws {
        try await Self.with { running, _ in
            // Open the doors the modes close, so that only the uid check stands.
            chmod(running.paths.socketDirectory, 0o777)
            chmod(running.paths.socket, 0o666)
            // Connects, says hello, prints what came back ("" when hung up on).
            let script = """
                import socket, sys
                s = socket.socket(socket.AF_UNIX)
                s.connect(sys.argv[1])
                # Generous: the whole suite may be loading the machine; this is about who is
                # greeted, not how fast.
                s.settimeout(30)
                try:
                    s.sendall(b'{"op":"hello","protocol":\(AgentProtocol.version)}\\n')
                    data = s.recv(4096).decode()
                except (ConnectionResetError, BrokenPipeError):
                    data = ""
                except socket.timeout:
                    data = "(no answer in 30 s)"
                print("answer:" + data)
                """
            // The system python3: one under root's home is not another user's to run.
            let asNobody = try await Shell.run("/usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c "
                + "\(Tmux.quote(script)) \(Tmux.quote(running.paths.socket)) 2>&1")
            #expect(asNobody.stdout.contains("answer:") && !asNobody.stdout.contains("hello"), "\(asNobody.stdout)")
            // The same request from this user is greeted.
            let asMe = try await Shell.run("python3 -c \(Tmux.quote(script)) \(Tmux.quote(running.paths.socket))")
            #expect(asMe.stdout.contains(#""event":"hello""#), "\(asMe.stdout)")
        }
    }

    @Test("two viewers see one queue: a job added by one reaches both; a late one gets the snapshot")
    func viewers() async throws {
        try await Self.with { running, _ in
            let path = running.files + "/a.txt"
            try TestFiles.write(Data(repeating: 7, count: 50_000), to: path)
            let a = try await Self.connect(running)
            let b = try await Self.connect(running)
            let collectA = Task { await Self.events(a, until: { $0.contains { $0.isTerminal } }) }
            let collectB = Task { await Self.events(b, until: { $0.contains { $0.isTerminal } }) }
            a.send(.add([path], tag: 5))
            let seenA = await collectA.value
            let seenB = await collectB.value
            #expect(seenA.contains { if case .completed = $0.kind { true } else { false } })
            #expect(seenA.map(\.kind) == seenB.map(\.kind))
            let late = try await Self.connect(running)
            let snapshot = await Self.events(late, until: { _ in false }, stopAtReady: true)
            #expect(snapshot.first?.kind == .queued(size: 50_000))
            #expect(snapshot.last.map { if case .completed = $0.kind { true } else { false } } == true)
            #expect(!snapshot.contains { if case .progress(let sent, _) = $0.kind { sent < 50_000 } else { false } },
                    "the snapshot keeps the latest progress only")
            for connection in [a, b, late] { connection.close() }
        }
    }

    @Test("beyond the latest 3 completed jobs, a late client's greeting counts the older ones by id and its snapshot leaves them out")
    func lateClientCountsUnlisted() async throws {
        try await Self.with(keepsDone: 3) { running, _ in
            var paths: [String] = []
            for i in 0..<8 {
                paths.append(running.files + "/f\(i).txt")
                try TestFiles.write(Data(repeating: UInt8(i), count: 1_000), to: paths[i])
            }
            let client = try await Self.connect(running)
            let collect = Task { await Self.events(client, until: { $0.count { $0.isTerminal } == 8 }) }
            client.send(.add(paths, tag: 1))
            let seen = await collect.value
            let ids = Set(seen.map(\.job))
            #expect(ids.count == 8 && seen.count { if case .completed = $0.kind { true } else { false } } == 8)
            let late = try await Self.connect(running)
            let unlisted = try #require(late.greeting.unlistedDone)
            #expect(unlisted.count == 5 && unlisted.bytes == 5_000)
            let snapshot = await Self.events(late, until: { _ in false }, stopAtReady: true)
            let listed = Set(snapshot.map(\.job))
            #expect(listed.count == 3 && listed.allSatisfy { !unlisted.contains($0.rawValue) })
            #expect(listed.union(ids.filter { unlisted.contains($0.rawValue) }) == ids)
            for connection in [client, late] { connection.close() }
        }
    }

    @Test("an add in parts: each part follows its jobs' queued events, the walk holds at the backlog, stop_add ends it")
    func addInParts() async throws {
        try await Self.with { running, _ in
            let client = try await Self.heldWalk(running, named: "parts", tag: 7)
            // The connection keeps its lines until read: these are all of them since `ready`.
            let lines = Task { await Self.lines(client, until: { $0.contains { $0.added.map { $0.more == nil } ?? false } }) }
            // Held: no more files are read however long it waits for room.
            try await Task.sleep(for: .milliseconds(300))
            #expect(await running.engine.queuedCount == 32)
            client.send(AgentRequest(.stopAdd, tag: 7))
            let seen = await lines.value
            var queued = Set<JobID>()
            var named: [JobID] = []
            for line in seen {
                if case .event(let event) = line, case .queued = event.kind { queued.insert(event.job) }
                guard let added = line.added else { continue }
                #expect(added.tag == 7)
                let ids = (added.jobs ?? []).map(JobID.init)
                #expect(ids.allSatisfy(queued.contains), "a part named a job before its queued event")
                named += ids
            }
            let parts = seen.compactMap(\.added)
            #expect(parts.map { $0.jobs?.count ?? 0 } == [32, 0], "\(parts)")
            #expect(parts.first?.more == true && parts.last?.more == nil)
            #expect(Set(named) == queued && named.count == 32)
            // The files not reached have no job; the ones named run once resumed.
            client.send(AgentRequest(.resume))
            #expect(await waitUntil(timeout: 120) { await running.engine.queuedCount == 0 })
            await running.engine.waitUntilIdle()
            #expect(await running.engine.queuedCount == 0)
            client.close()
        }
    }

    @Test("an add in parts outlives its connection: the client hangs up mid-walk and every file of the tree still uploads")
    func addInPartsOutlivesItsConnection() async throws {
        try await Self.with { running, _ in
            let client = try await Self.heldWalk(running, named: "hangup", tag: 1)
            client.close()
            let other = try await Self.connect(running)
            other.send(AgentRequest(.resume))
            let done = await Self.events(other, until: { events in events.filter { if case .completed = $0.kind { true } else { false } }.count == 100 })
            #expect(Set(done.compactMap { if case .completed = $0.kind { $0.path } else { nil } }).count == 100)
            #expect(!done.contains { if case .failed = $0.kind { true } else { false } })
            other.close()
        }
    }

    @Test("a snapshot-only client (hoist jobs) gets every job and then ready, however much the socket cannot take at once, whatever the line buffer")
    func largeSnapshotArrivesWhole() async throws {
        // 2,000 jobs' lines against a connection buffer of 100 lines: the snapshot is
        // written as the socket takes it, not queued as lines (which lost the lines past
        // the buffer, `ready` among them).
        try await Self.with(lineBuffer: 100) { running, _ in
            let tree = try Self.tree(in: running.files, named: "snapshot", files: 2_000)
            await running.engine.pause()
            let ids = Set(await running.engine.add(paths: [tree]))
            #expect(ids.count == 2_000)
            @Sendable func snapshot() async throws -> (queued: Set<JobID>, ready: Bool) {
                let client = try await AgentConnection.connect(
                    running.paths, hello: .hello(version: "test", destination: running.destination, watch: false))
                var queued = Set<JobID>()
                var ready = false
                for await line in client.lines {
                    if case .event(let event) = line, case .queued = event.kind { queued.insert(event.job) }
                    if case .notice(let notice) = line, notice.event == .ready { ready = true }
                }
                return (queued, ready)
            }
            // The host learns the jobs from the engine's events, after `add` returned.
            #expect(await waitUntil(timeout: 60) { (try? await snapshot())?.queued.count == 2_000 })
            for _ in 0..<3 {
                // Closed by the engine only after the last line reached the socket.
                let (queued, ready) = try await snapshot()
                #expect(ready && queued == ids, "\(queued.count) of 2000 jobs, ready: \(ready)")
            }
        }
    }

    /// A client whose `add` in parts of a tree of 100 files is held after its first batch:
    /// the engine paused, nothing starts, so 32 are queued, past the backlog of 2.
    static func heldWalk(_ running: Running, named name: String, tag: Int) async throws -> AgentConnection {
        let tree = try tree(in: running.files, named: name, files: 100)
        let client = try await connect(running)
        client.send(AgentRequest(.pause))
        client.send(.addInParts([tree], tag: tag, backlog: 2))
        #expect(await waitUntil(timeout: 30) { await running.engine.queuedCount == 32 })
        return client
    }

    /// A directory `name` of `files` small files in three subdirectories.
    static func tree(in root: String, named name: String, files: Int) throws -> String {
        let tree = root + "/" + name
        for index in 0..<files {
            let directory = tree + "/d\(index % 3)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try TestFiles.write("file \(index)\n", to: directory + "/f\(index).txt")
        }
        return tree
    }

    /// Every line from `connection` after `ready` until `done` holds.
    static func lines(_ connection: AgentConnection, until done: ([AgentLine]) -> Bool) async -> [AgentLine] {
        var lines: [AgentLine] = []
        var ready = false
        for await line in connection.lines {
            if ready { lines.append(line) }
            if case .notice(let notice) = line, notice.event == .ready { ready = true }
            if ready, done(lines) { return lines }
        }
        return lines
    }

    @Test("an engine that changes its own number of uploads (adapting) tells every watcher, with no client asking")
    func concurrencyChangesAreBroadcast() async throws {
        try await Self.with { running, _ in
            let a = try await Self.connect(running)
            let b = try await Self.connect(running)
            let isSeven: @Sendable ([AgentLine]) -> Bool = { lines in
                lines.contains { if case .notice(let notice) = $0 { notice.event == .settings && notice.concurrency == 7 } else { false } }
            }
            let seenA = Task { await Self.lines(a, until: isSeven) }
            let seenB = Task { await Self.lines(b, until: isSeven) }
            // Straight to the engine, not through the host: what the tuner does on its own.
            await running.engine.setConcurrency(7)
            // Hung up after 60 s if the news never comes, so that the test fails instead of hanging.
            let watchdog = Task {
                try await Task.sleep(for: .seconds(60))
                a.close()
                b.close()
            }
            let linesA = await seenA.value, linesB = await seenB.value
            #expect(isSeven(linesA) && isSeven(linesB))
            watchdog.cancel()
            a.close()
            b.close()
        }
    }

    @Test("stop: every viewer is told, the engine shuts down, connections end")
    func stop() async throws {
        try await Self.with { running, _ in
            let a = try await Self.connect(running)
            let lines = Task { () -> [AgentLine] in
                var all: [AgentLine] = []
                for await line in a.lines { all.append(line) }
                return all
            }
            a.send(.stop(now: false))
            let all = await lines.value
            #expect(all.contains { if case .notice(let notice) = $0 { notice.event == .stopping } else { false } })
            await running.host.waitUntilStopped()
        }
    }

    @Test("a rate past what a limit may name (a raw client's Int64.max) is held at 1 PiB/s: the engine answers on, and every viewer is told the rate it applies")
    func hugeRateIsHeld() async throws {
        try await Self.with { running, _ in
            let a = try await Self.connect(running)
            a.send(.value(.rateLimit, .max))
            var told: Int64?
            for await line in a.lines {
                if case .notice(let notice) = line, notice.event == .settings, let rate = notice.rateLimit {
                    told = rate
                    break
                }
            }
            #expect(told == 1 << 50)
            #expect(await running.engine.rateLimit == 1 << 50)
            let b = try await Self.connect(running)
            #expect(b.greeting.rateLimit == 1 << 50)
        }
    }

    @Test("what takes the connection at the socket but never greets (a hung process holding it) is given up after the greeting timeout, not waited on for ever")
    func silentSocketIsGivenUp() async throws {
        let root = try TempDirectory.make(prefix: "hoist-silent")
        let paths = AgentPaths(journal: root + "/journal.sqlite", environment: [:])
        // A listener that accepts (the kernel does, from its backlog) and never writes.
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in paths.socket.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0 && listen(listener, 8) == 0)
        let started = ContinuousClock.now
        do {
            _ = try await AgentConnection.connect(paths, hello: .hello(version: "test", destination: "x"), greetingTimeout: .seconds(1))
            Issue.record("connected to something that never greeted")
        } catch {
            #expect(error.message.contains("did not answer on \(paths.socket)"), "\(error)")
            #expect(!error.isNotRunning)
        }
        #expect(ContinuousClock.now - started < .seconds(15))
    }

    @Test("an add while the engine stops after its running upload is refused, with the reason and no job; an add in parts (a view's slice, a command's tree) is kept in the journal for the next engine, and said so")
    func addWhileStopping() async throws {
        try await Self.with { running, _ in
            let slow = running.files + "/slow.bin", late = running.files + "/late.txt"
            try TestFiles.write(Data(repeating: 1, count: 2_000_000), to: slow)
            try TestFiles.write(Data(repeating: 2, count: 100), to: late)
            let a = try await Self.connect(running)
            a.send(.value(.rateLimit, 100_000))
            a.send(.add([slow], tag: 1))
            _ = await Self.events(a, until: { $0.contains { if case .progress = $0.kind { true } else { false } } })
            // Running uploads finish first: the engine stays, stopping, for about 20 s. The
            // stop holds `a`'s requests until it is over; another client's go on.
            let b = try await Self.connect(running)
            a.send(.stop(now: false))
            for await line in b.lines {
                if case .notice(let notice) = line, notice.event == .stopping { break }
            }
            b.send(.add([late], tag: 2))
            var refusal: AgentNotice?
            var queuedLate = false
            for await line in b.lines {
                switch line {
                case .notice(let notice) where notice.event == .error:
                    refusal = notice
                case .notice(let notice) where notice.event == .added && notice.tag == 2:
                    queuedLate = true
                case .event(let event) where event.path == late:
                    queuedLate = true
                default:
                    break
                }
                if refusal != nil || queuedLate { break }
            }
            #expect(!queuedLate)
            #expect(refusal?.code == "stopping")
            #expect(refusal?.message == "the engine is stopping; nothing was queued: run the command again")
            b.send(.addInParts([late], tag: 3, backlog: 64))
            var kept: AgentNotice?
            for await line in b.lines {
                if case .notice(let notice) = line, notice.event == .added, notice.tag == 3 {
                    kept = notice
                    break
                }
                if case .event(let event) = line, event.path == late { break }
            }
            #expect(kept?.jobs == [] && kept?.more != true, "\(String(describing: kept))")
            #expect(kept?.reason == "the engine stopped before every file of this command was queued; the next engine queues the rest")
            // Done waiting: the running upload is cancelled, and the engine goes at once.
            b.send(.job(.cancel, 1))
            await running.host.waitUntilStopped()
            let journal = try Journal.open(path: running.paths.journal)
            #expect(try journal.unfinishedWalks(endpoint: running.engine.destinationKey).paths == [late], "the next engine queues it")
        }
    }

    static func mode(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int
    }

    /// Events from `connection` (after `ready` unless `stopAtReady`) until `done` holds.
    static func events(_ connection: AgentConnection, until done: ([EngineEvent]) -> Bool, stopAtReady: Bool = false) async -> [EngineEvent] {
        var events: [EngineEvent] = []
        var ready = false
        for await line in connection.lines {
            switch line {
            case .event(let event):
                if stopAtReady || ready { events.append(event) }
            case .notice(let notice):
                if notice.event == .ready {
                    if stopAtReady { return events }
                    ready = true
                }
            }
            if ready, done(events) { return events }
        }
        return events
    }
}

extension AgentLine {
    /// The `added` notice this line is, if it is one.
    var added: AgentNotice? {
        if case .notice(let notice) = self, notice.event == .added { notice } else { nil }
    }
}
