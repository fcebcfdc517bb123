import Foundation
import HoistAgent
import HoistEngine
import HoistTestSupport
import Synchronization
import Testing

/// A file two clients queue is one job. A command's cancel of its own jobs (its Ctrl-C,
/// `cancel` with `mine`) must not take that file from the other: it lets go of it instead.
@Suite("agent host: a job two clients asked for, and one client's cancel")
struct AgentSharedJobTests {
    @Test("a file two clients queued: one's cancel of its own lets go of it (released, to it alone), the job goes on; the last holder's cancel cancels it; a view's cancel cancels for all; a holder that hung up still holds")
    func sharedJobs() async throws {
        try await AgentHostTests.with { running, _ in
            var path: [String: String] = [:]
            for name in ["shared", "own", "both", "left"] {
                path[name] = running.files + "/\(name).txt"
                try TestFiles.write("\(name)\n", to: path[name]!)
            }
            let a = try await AgentHostTests.connect(running), b = try await AgentHostTests.connect(running)
            let view = try await AgentHostTests.connect(running)
            let heardA = Heard(a), heardB = Heard(b), heardView = Heard(view)
            // Paused: every job stays queued until the test has done with it.
            a.send(AgentRequest(.pause))
            a.send(.add([path["shared"]!, path["own"]!, path["both"]!], tag: 1))
            let mine = try #require(await heardA.added(1))
            b.send(.add([path["shared"]!, path["both"]!], tag: 2))
            let theirs = try #require(await heardB.added(2))
            let (shared, own, both) = (mine[0], mine[1], mine[2])
            #expect(theirs == [shared, both], "one file, one job")

            // A lets go of the shared job: told so alone, with the job's path; nobody sees it cancelled.
            a.send(.cancelMine(shared.rawValue))
            #expect(await waitUntil { heardA.released.count == 1 })
            #expect(heardA.released.first?.job == shared.rawValue && heardA.released.first?.path == path["shared"])
            // A's own job is A's to cancel: every client sees that one end. Seen by B, it
            // orders everything the engine said before it: no cancel of the shared job.
            a.send(.cancelMine(own.rawValue))
            #expect(await heardB.cancelled(own))
            #expect(!heardB.hasCancelled(shared) && !heardA.hasCancelled(shared))
            #expect(heardB.released.isEmpty && heardView.released.isEmpty)

            // B is the last to hold it: its cancel cancels it, for everyone.
            b.send(.cancelMine(shared.rawValue))
            #expect(await heardB.cancelled(shared))
            #expect(await heardView.cancelled(shared))
            #expect(heardA.released.count == 1 && heardB.released.isEmpty)

            // A view's cancel (no `mine`) is the user's word on the job: both lose it.
            view.send(.job(.cancel, both.rawValue))
            #expect(await heardA.cancelled(both))
            #expect(await heardB.cancelled(both))
            #expect(heardA.released.count == 1 && heardB.released.isEmpty)

            // A client that hung up still holds its job (its uploads go on without it, as a
            // --detach's do): the other's cancel only lets go.
            let c = try await AgentHostTests.connect(running)
            let heardC = Heard(c)
            c.send(.add([path["left"]!], tag: 3))
            let left = try #require(await heardC.added(3)).first!
            b.send(.add([path["left"]!], tag: 4))
            #expect(await heardB.added(4) == [left])
            heardC.stop()
            c.close()
            b.send(.cancelMine(left.rawValue))
            #expect(await waitUntil { heardB.released.contains { $0.job == left.rawValue } })
            // Resumed, it uploads: the job was never cancelled.
            view.send(AgentRequest(.resume))
            #expect(await waitUntil(timeout: 60) {
                heardView.lines.contains { if case .event(let event) = $0, event.job == left, case .completed = event.kind { true } else { false } }
            })
            #expect(!heardView.hasCancelled(left))
            for heard in [heardA, heardB, heardView] { heard.stop() }
            for connection in [a, b, view] { connection.close() }
        }
    }
}

/// Every line a connection got after `ready`, kept as it comes, so a test can wait for one
/// and then look at everything before it.
final class Heard: Sendable {
    private final class Lines: Sendable {
        let value = Mutex<[AgentLine]>([])
    }

    private let seen = Lines()
    private let reader: Task<Void, Never>

    init(_ connection: AgentConnection) {
        let seen = seen
        reader = Task {
            var ready = false
            for await line in connection.lines {
                if ready { seen.value.withLock { $0.append(line) } }
                if case .notice(let notice) = line, notice.event == .ready { ready = true }
            }
        }
    }

    var lines: [AgentLine] { seen.value.withLock { $0 } }

    /// The ids of the `added` answer tagged `tag`, once it came.
    func added(_ tag: Int) async -> [JobID]? {
        _ = await waitUntil { self.lines.contains { $0.added?.tag == tag } }
        return lines.lazy.compactMap(\.added).first { $0.tag == tag }?.jobs?.map(JobID.init)
    }

    /// Whether `job` ended here as cancelled, waiting for it.
    func cancelled(_ job: JobID) async -> Bool { await waitUntil { self.hasCancelled(job) } }

    /// Whether `job` ended here as cancelled so far.
    func hasCancelled(_ job: JobID) -> Bool {
        lines.contains { if case .event(let event) = $0 { event.job == job && event.kind == .cancelled } else { false } }
    }

    /// The `released` notices this connection got.
    var released: [AgentNotice] {
        lines.compactMap { if case .notice(let notice) = $0, notice.event == .released { notice } else { nil } }
    }

    func stop() { reader.cancel() }
}
