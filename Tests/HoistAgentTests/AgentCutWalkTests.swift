import Foundation
import HoistAgent
import HoistEngine
import HoistTestSupport
import Testing

/// An add the engine ends before its last path says why in its last answer: a client whose
/// named jobs all ended must not take a tree cut short for one uploaded whole. Real engine,
/// host and socket, against the test server.
@Suite("agent host: an add cut short says why in its last answer")
struct AgentCutWalkTests {
    static let kept = "the engine stopped before every file of this command was queued; the next engine queues the rest"

    /// Lines from `connection` until `done` holds or the connection ends; each call goes on
    /// where the last one stopped.
    static func read(_ connection: AgentConnection, until done: ([AgentLine]) -> Bool = { _ in false }) async -> [AgentLine] {
        var lines: [AgentLine] = []
        for await line in connection.lines {
            lines.append(line)
            if done(lines) { break }
        }
        return lines
    }

    /// The last `added` of each tag among `lines`.
    static func lastAnswers(_ lines: [AgentLine]) -> [Int: AgentNotice] {
        var last: [Int: AgentNotice] = [:]
        for notice in lines.compactMap(\.added) where notice.more == nil { last[notice.tag ?? 0] = notice }
        return last
    }

    @Test("hoist stop cuts a held walk and the add queued behind it: both last answers say so before the connection ends, and both wait in the journal")
    func stopCutsWalks() async throws {
        try await AgentHostTests.with { running, _ in
            let client = try await AgentHostTests.heldWalk(running, named: "held", tag: 1)
            // The same connection's next add waits for the first to end: its turn comes only
            // after the engine has shut down, so it queues nothing at all.
            let behind = try AgentHostTests.tree(in: running.files, named: "behind", files: 10)
            client.send(.addInParts([behind], tag: 2, backlog: 2))
            let lines = Task { await Self.read(client) }
            // From the same connection, whose requests the host takes in order: the second
            // add is in before the stop.
            client.send(.stop(now: false))
            let last = Self.lastAnswers(await lines.value)
            #expect(last[1]?.reason == Self.kept, "\(last)")
            #expect(last[2]?.reason == Self.kept && last[2]?.jobs == [], "\(last)")
            await running.host.waitUntilStopped()
            let walks = try Journal.open(path: running.paths.journal).unfinishedWalks(endpoint: running.destination)
            #expect(Set(walks.paths) == [running.files + "/held", behind], "\(walks.paths)")
        }
    }

    @Test("hoist stop --now cuts a held walk: its last answer says the rest were not queued")
    func stopNowDropsTheRest() async throws {
        try await AgentHostTests.with { running, _ in
            let client = try await AgentHostTests.heldWalk(running, named: "now", tag: 3)
            let lines = Task { await Self.read(client) }
            let stopper = try await AgentHostTests.connect(running)
            stopper.send(.stop(now: true))
            let last = Self.lastAnswers(await lines.value)
            #expect(last[3]?.reason == "the engine stopped before every file of this command was queued; the rest were not queued", "\(last)")
        }
    }

    @Test("another client's cancel of everything pending cuts a held walk; a walk that reaches its last path says nothing; a stop_add is the client's own")
    func cancelAllAndWholeWalks() async throws {
        try await AgentHostTests.with { running, _ in
            let client = try await AgentHostTests.heldWalk(running, named: "dropped", tag: 4)
            let other = try await AgentHostTests.connect(running)
            other.send(AgentRequest(.cancelAll))
            let dropped = await Self.read(client, until: { Self.lastAnswers($0)[4] != nil })
            #expect(Self.lastAnswers(dropped)[4]?.reason == "a cancel of everything pending dropped this command's files not yet queued")

            // Resumed, a walk of a small tree reaches its last path.
            other.send(AgentRequest(.resume))
            let whole = try AgentHostTests.tree(in: running.files, named: "whole", files: 5)
            client.send(.addInParts([whole], tag: 5, backlog: 2))
            let answered = await Self.read(client, until: { Self.lastAnswers($0)[5] != nil })
            let last = Self.lastAnswers(answered)[5]
            #expect(last != nil && last?.reason == nil, "\(String(describing: last))")
            await running.engine.waitUntilIdle()

            // Paused again, a walk its own client stops says that it asked.
            other.send(AgentRequest(.pause))
            #expect(await waitUntil(timeout: 30) { await running.engine.isPaused })
            let own = try AgentHostTests.tree(in: running.files, named: "own", files: 100)
            client.send(.addInParts([own], tag: 6, backlog: 2))
            #expect(await waitUntil(timeout: 30) { await running.engine.queuedCount == 32 })
            client.send(AgentRequest(.stopAdd, tag: 6))
            let stopped = await Self.read(client, until: { Self.lastAnswers($0)[6] != nil })
            #expect(Self.lastAnswers(stopped)[6]?.reason == "stopped at this command's request; the files not reached were not queued")
            client.close()
            other.close()
        }
    }

    /// Three slices of 100 from one client, paused: the first queued and held, the other
    /// two waiting their turn with their paths in the journal only. Then another hoist on
    /// the same journal takes slice `taken`'s record over. Returns the slices, a view, the
    /// client, and the client's lines up to the last answer of every slice.
    static func sliceTakenOver(_ running: AgentHostTests.Running, prefix: String, taken: Int) async throws
        -> (slices: [(paths: [String], bytes: Int64)], view: AgentWaitingTests.Follower, client: AgentConnection,
            lines: Task<[AgentLine], Never>)
    {
        let (slices, view, client) = try await AgentWaitingTests.threeSlicesPaused(running, prefix: prefix)
        let expected = (files: 200, bytes: slices[1].bytes + slices[2].bytes)
        #expect(await waitUntil(timeout: 30) { await AgentWaitingTests.firstSliceHeld(running, view, expected) },
                "waiting: \(String(describing: view.waiting))")
        let lines = Task { await Self.read(client, until: { Self.lastAnswers($0).count == 3 }) }
        let journal = try Journal.open(path: running.paths.journal)
        let ids = try journal.unfinishedWalks(endpoint: running.engine.destinationKey).ids
        let record = try #require(ids.first { (try? journal.walkPaths($0)) == slices[taken].paths })
        try journal.endWalk(record)
        return (slices, view, client, lines)
    }

    @Test("an add whose paths left the journal before its turn queues nothing and says why; the adds around it go on")
    func lostWalkSaysWhy() async throws {
        try await AgentHostTests.with { running, _ in
            let (slices, view, client, lines) = try await Self.sliceTakenOver(running, prefix: "l", taken: 1)
            client.send(AgentRequest(.resume))
            let last = Self.lastAnswers(await lines.value)
            #expect(last[2]?.reason == AgentHost.lostWalk && last[2]?.jobs == [], "\(last)")
            #expect(last[1] != nil && last[1]?.reason == nil && last[3] != nil && last[3]?.reason == nil, "\(last)")
            #expect(await waitUntil(timeout: 300) { view.completed == 200 })
            #expect(Set(view.queuedPaths).isDisjoint(with: slices[1].paths))
            #expect(Set(view.queuedPaths) == Set(slices[0].paths + slices[2].paths))
            #expect(await waitUntil(timeout: 30) { view.waiting.map { $0 == (0, 0) } ?? false },
                    "waiting: \(String(describing: view.waiting))")
            client.close()
        }
    }

    @Test("an add stopped before its turn says it was stopped, even when its paths also left the journal meanwhile")
    func stopBeforeTurnWinsOverLoss() async throws {
        try await AgentHostTests.with { running, _ in
            let (slices, view, client, lines) = try await Self.sliceTakenOver(running, prefix: "t", taken: 2)
            client.send(AgentRequest(.stopAdd, tag: 3))
            client.send(AgentRequest(.resume))
            let last = Self.lastAnswers(await lines.value)
            #expect(last[3]?.reason == "stopped at this command's request; the files not reached were not queued", "\(last)")
            #expect(last[2] != nil && last[2]?.reason == nil, "\(last)")
            #expect(await waitUntil(timeout: 300) { view.completed == 200 })
            #expect(Set(view.queuedPaths) == Set(slices[0].paths + slices[1].paths))
            client.close()
        }
    }
}
