import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import HoistAgent
import HoistEngine
import HoistTestSupport
import Testing

/// The TUI hands a large `u` to the background engine as slices, each an `add` in parts
/// held at a backlog: the engine holds jobs for the files on their way, and every view is
/// told how many files (and bytes) still wait for theirs.
@Suite("agent host: adds waiting their turn")
struct AgentWaitingTests {
    /// `count` files of `prefix` under `root`, each a different size; their paths and bytes.
    static func files(in root: String, prefix: String, count: Int) throws -> (paths: [String], bytes: Int64) {
        var paths: [String] = []
        var bytes: Int64 = 0
        for index in 0..<count {
            let path = root + "/\(prefix)-\(String(index + 1000)).txt"
            let body = Data(String(repeating: "x", count: index % 7 + 1).utf8)
            try TestFiles.write(body, to: path)
            paths.append(path)
            bytes += Int64(body.count)
        }
        return (paths, bytes)
    }

    /// Follows `connection` from `ready`: every line, and the files and bytes waiting as
    /// the engine last said them.
    final class Follower: Sendable {
        typealias Seen = (lines: [AgentLine], waiting: (files: Int, bytes: Int64)?)
        final class Box: Sendable {
            let seen = Mutex<Seen>(([], nil))
        }
        let box = Box()
        let task: Task<Void, Never>

        init(_ connection: AgentConnection) {
            let box = box
            task = Task {
                var ready = false
                for await line in connection.lines {
                    if case .notice(let notice) = line, notice.event == .ready { ready = true }
                    guard ready else { continue }
                    box.seen.withLock { seen in
                        seen.lines.append(line)
                        if case .notice(let notice) = line, notice.event == .settings, let files = notice.waitingFiles {
                            seen.waiting = (files, notice.waitingBytes ?? -1)
                        }
                    }
                }
            }
        }

        var waiting: (files: Int, bytes: Int64)? { box.seen.withLock { $0.waiting } }

        /// The paths of the `queued` events seen, in the order they came.
        var queuedPaths: [String] {
            box.seen.withLock { seen in
                seen.lines.compactMap { line in
                    if case .event(let event) = line, case .queued = event.kind { event.path } else { nil }
                }
            }
        }

        var completed: Int {
            box.seen.withLock { seen in
                seen.lines.count { line in
                    if case .event(let event) = line, case .completed = event.kind { true } else { false }
                }
            }
        }
    }

    /// A view, and a client that pauses the engine and sends three slices of 100 files,
    /// each an `add` in parts held at a backlog of 64, as the TUI sends a large `u`.
    static func threeSlicesPaused(_ running: AgentHostTests.Running, prefix: String) async throws
        -> (slices: [(paths: [String], bytes: Int64)], view: Follower, client: AgentConnection)
    {
        let slices = try (1...3).map { try files(in: running.files, prefix: "\(prefix)\($0)", count: 100) }
        let view = Follower(try await AgentHostTests.connect(running))
        let client = try await AgentHostTests.connect(running)
        client.send(AgentRequest(.pause))
        for (index, slice) in slices.enumerated() {
            client.send(.addInParts(slice.paths, tag: index + 1, backlog: 64, bytes: slice.bytes))
        }
        return (slices, view, client)
    }

    /// The first slice queued whole and held for room, the other two waiting their turn.
    static func firstSliceHeld(_ running: AgentHostTests.Running, _ view: Follower, _ expected: (files: Int, bytes: Int64)) async -> Bool {
        guard let waiting = view.waiting, waiting == expected else { return false }
        return await running.engine.queuedCount == 100
    }

    @Test("one client's adds queue in the order sent, within one backlog; every view hears what waits, down to none")
    func addsQueueInTurnAndViewsCountWhatWaits() async throws {
        try await AgentHostTests.with { running, _ in
            let (slices, view, client) = try await Self.threeSlicesPaused(running, prefix: "s")
            // The first slice is queued whole and waits for room (none of it waits: its walk
            // reached its last path); the other two wait their turn behind it, every file
            // and byte counted.
            // (200 files also wait for a moment before the first slice is queued: the second
            // has arrived and the third not yet. The queue tells the two apart.)
            let expected = (files: 200, bytes: slices[1].bytes + slices[2].bytes)
            #expect(await waitUntil(timeout: 30) { await Self.firstSliceHeld(running, view, expected) },
                    "waiting: \(String(describing: view.waiting))")
            #expect(await running.engine.queuedCount == 100, "the slices behind the first took no room")
            // Their paths are in the journal meanwhile: a kill would not lose them.
            let journal = try Journal.open(path: running.paths.journal)
            let walked = Set(try journal.unfinishedWalks(endpoint: running.engine.destinationKey).paths)
            #expect(walked.isSuperset(of: slices[1].paths + slices[2].paths))
            let late = Follower(try await AgentHostTests.connect(running))
            client.send(AgentRequest(.resume))
            // A bound for liveness only: alone this takes 3 s, but each file costs the
            // in-process server at least four fsyncs, and a full parallel run on 2 cores
            // shares the process and the disk with every other suite's servers and engines
            // (over 120 s seen).
            #expect(await waitUntil(timeout: 300) { view.completed == 300 })
            #expect(await waitUntil(timeout: 30) { view.waiting.map { $0 == (0, 0) } ?? false },
                    "waiting: \(String(describing: view.waiting))")
            let names = { (paths: [String]) in paths.map { ($0 as NSString).lastPathComponent } }
            #expect(names(view.queuedPaths) == names(slices.flatMap(\.paths)), "queued in the order the slices were sent")
            #expect(late.waiting.map { $0 == (0, 0) } ?? false, "a view attached meanwhile heard the same")
            let after = try await AgentHostTests.connect(running)
            #expect(after.greeting.waitingFiles == 0 && after.greeting.waitingBytes == 0)
            #expect(try journal.unfinishedWalks(endpoint: running.engine.destinationKey).ids.isEmpty)
            for connection in [client, after] { connection.close() }
        }
    }

    @Test("a client that sends its slices and hangs up at once (a view whose terminal went mid-`u`) has every slice kept: queued or journaled to wait")
    func slicesOfAClientThatHungUpAreKept() async throws {
        try await AgentHostTests.with { running, _ in
            // Long names and many slices: more lines than the socket holds, so the engine is
            // still reading them when its first write to the gone client fails.
            let long = String(repeating: "n", count: 150)
            let slices = try (1...10).map { try Self.files(in: running.files, prefix: "\(long)\($0)", count: 300) }
            let view = Follower(try await AgentHostTests.connect(running))
            var lines = AgentRequest.hello(version: "test", destination: running.destination).line + AgentRequest(.pause).line
            for (index, slice) in slices.enumerated() {
                lines += AgentRequest.addInParts(slice.paths, tag: index + 1, backlog: 64, bytes: slice.bytes).line
            }
            // Written whole, then closed without reading a byte.
            try Self.sendAndHangUp(lines, to: running.paths.socket)
            let total = slices.reduce(0) { $0 + $1.paths.count }
            let journal = try Journal.open(path: running.paths.journal)
            // Waited for together: every slice after the first journaled, and the engine's
            // queue plus what views count as waiting making the total. The count alone is no
            // sign that every line was handled: views count a queued file as waiting until
            // its job's first event reaches them (their rows plus the count stay whole), which
            // under load takes seconds, so the engine's 300 queued plus the views' 2,700
            // reached the total while the last slice's line was still unread (two CI runs).
            var walks: (ids: [Int64], paths: [String], names: [String]) = ([], [], [])
            let kept = await waitUntil(timeout: 30) {
                walks = (try? journal.unfinishedWalks(endpoint: running.engine.destinationKey)) ?? walks
                let walked = Set(walks.paths)
                guard slices.dropFirst().allSatisfy({ $0.paths.allSatisfy(walked.contains) }) else { return false }
                return await running.engine.queuedCount + (view.waiting?.files ?? 0) == total
            }
            let queued = await running.engine.queuedCount
            let walked = Set(walks.paths)
            // Counted by slice, not listed: 2,700 long paths made a megabyte of failure message.
            let missingBySlice = slices.enumerated().map { index, slice in
                "\(index + 1): \(slice.paths.count { !walked.contains($0) })"
            }
            #expect(kept, """
                every slice kept, queued or journaled, and counted once: paths not journaled by slice \(missingBySlice); \
                \(walks.ids.count) walk records; queued \(queued), waiting \(String(describing: view.waiting)) of \(total)
                """)
            #expect(queued == slices[0].paths.count, "the first slice queued, the rest waiting their turn: queued \(queued)")
        }
    }

    /// Connects to the engine's socket, writes `text` whole, and closes without reading.
    static func sendAndHangUp(_ text: String, to path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CocoaError(.fileWriteUnknown) }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw CocoaError(.fileReadNoPermission) }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw CocoaError(.fileWriteUnknown) }
            bytes = bytes.dropFirst(sent)
        }
    }

    @Test("cancel all stops the adds waiting their turn too: none of their files is ever queued, none waits")
    func cancelAllStopsAddsNotBegun() async throws {
        try await AgentHostTests.with { running, _ in
            let (slices, view, client) = try await Self.threeSlicesPaused(running, prefix: "c")
            let expected = (files: 200, bytes: slices[1].bytes + slices[2].bytes)
            #expect(await waitUntil(timeout: 30) { await Self.firstSliceHeld(running, view, expected) })
            client.send(AgentRequest(.cancelAll))
            #expect(await waitUntil(timeout: 30) { view.waiting.map { $0 == (0, 0) } ?? false },
                    "waiting: \(String(describing: view.waiting))")
            #expect(await waitUntil(timeout: 30) { await running.engine.queuedCount == 0 })
            let names = { (paths: [String]) in Set(paths.map { ($0 as NSString).lastPathComponent }) }
            // The view may still be getting the first slice's last `queued` events: the
            // host broadcasts them as it reads them from the engine, and said "none waits"
            // at the cancel itself.
            #expect(await waitUntil(timeout: 30) { names(view.queuedPaths) == names(slices[0].paths) },
                    "the first slice was queued before the cancel: \(view.queuedPaths.count) seen")
            #expect(names(view.queuedPaths).isDisjoint(with: names(slices[1].paths + slices[2].paths)))
            let journal = try Journal.open(path: running.paths.journal)
            // The views were told at once; the adds not begun end their records as they wind down.
            #expect(await waitUntil(timeout: 30) {
                (try? journal.unfinishedWalks(endpoint: running.engine.destinationKey).ids.isEmpty) ?? false
            }, "cancelled: not unfinished")
            client.close()
        }
    }

    @Test("what a killed engine left is resumed held at the backlog: clients are served meanwhile and count the rest as waiting")
    func resumeIsHeldAndCounted() async throws {
        try await AgentHostTests.with { running, _ in
            let left = try Self.files(in: running.files, prefix: "r", count: 100)
            await running.engine.pause()
            await running.host.resume(jobs: [], paths: left.paths, walk: running.engine.journalWalk(left.paths), backlog: 2)
            // Held after its first batch of 32: the rest has no job, and waits.
            #expect(await waitUntil(timeout: 30) { await running.engine.queuedCount == 32 })
            let view = Follower(try await AgentHostTests.connect(running))
            let greeted = try await AgentHostTests.connect(running)
            #expect(greeted.greeting.waitingFiles == 68 && greeted.greeting.waitingBytes == 0, "\(greeted.greeting)")
            #expect(await running.engine.queuedCount == 32)
            greeted.send(AgentRequest(.resume))
            #expect(await waitUntil(timeout: 120) { view.completed == 100 })
            #expect(await waitUntil(timeout: 30) { view.waiting.map { $0 == (0, 0) } ?? false },
                    "waiting: \(String(describing: view.waiting))")
            greeted.close()
        }
    }
}
