import Foundation
import HoistTestSupport
import Synchronization
import Testing

@testable import HoistEngine

/// Two files of one run bound for the same object: where the name is the object's key
/// (Luw's final URL), the second is refused rather than silently replacing the first;
/// Lightfield makes a new file for each create, so both go.
@Suite struct NameClashTests {
    @Test func luwFilesOfATreeWithTheSameNameAreNotBothStored() async throws {
        try await EngineHarness.with { harness in
            try harness.file("photos/2023/a.png", size: 700, seed: 1)
            try harness.file("photos/2024/a.png", size: 800, seed: 2)
            try harness.file("photos/2024/b.png", size: 900, seed: 3)
            let engine = try harness.engine(harness.profile(.luw), concurrency: 1)
            let ids = await engine.add(paths: [harness.files + "/photos"])
            let events = try await collect(engine, ids)
            await engine.shutdown()
            #expect(ids.count == 3)
            let clashes = ids.compactMap { id -> EngineError? in
                if case .failed(let error)? = events.terminal(id), error.codeName == "nameClash" { return error }
                return nil
            }
            #expect(clashes.count == 1 && clashes[0].message.hasPrefix("a.png: "), "\(clashes)")
            #expect(ids.filter { events.completed($0) != nil }.count == 2, "\(ids.map(events.story))")
        }
    }

    @Test("a file the journal says completed, while another file's upload to the same Luw name runs: not reported completed (its object is being replaced) but refused as a clash; once that upload ended, uploaded again")
    func aCompletedRowDoesNotAnswerWhileItsNameIsBeingReplaced() async throws {
        try await EngineHarness.with { harness in
            let journal = try TempDirectory.make(prefix: "hoist-journal") + "/journal.sqlite"
            let b = try harness.file("b/x.png", size: 5_000, seed: 1)
            let a = try harness.file("a/x.png", size: 400_000, seed: 2)
            let first = try harness.engine(harness.profile(.luw), journal: journal)
            let firstIDs = await first.add(paths: [b])
            let done = try await collect(first, firstIDs)
            await first.shutdown()
            #expect(done.completed(firstIDs[0]) != nil)

            let engine = try harness.engine(harness.profile(.luw), journal: journal, rateLimit: 200_000)
            let running = await engine.add(paths: [a])
            // b is asked for again while a's bytes go to the name (its row says so, `uploading`).
            let asked = Mutex<[JobID]>([])
            let events = try await collect(engine, running) { event in
                guard case .progress(let sent, _) = event.kind, sent > 0, asked.withLock({ $0.isEmpty }) else { return }
                let ids = await engine.add(paths: [b])
                asked.withLock { $0 = ids }
            }
            let again = asked.withLock { $0 }
            try #require(again.count == 1)
            guard case .failed(let error)? = events.terminal(again[0]) else {
                Issue.record("b was not refused: \(events.story(again[0]))")
                return
            }
            #expect(error.codeName == "nameClash" && error.message.contains(a), "\(error)")
            #expect(events.completed(running[0]) != nil, "\(events.story(running[0]))")
            // Asked once more after a's upload ended: b's bytes go to the name again.
            let third = await engine.add(paths: [b])
            let last = try await collect(engine, third)
            await engine.shutdown()
            let local = try Data(contentsOf: URL(fileURLWithPath: b))
            #expect(last.completed(third[0])?.md5 == MD5Hex.of(local), "\(last.story(third[0]))")
            #expect(last.contains { $0.job == third[0] && $0.kind == .progress(sent: 5_000, total: 5_000) }, "sent again, not answered from the journal")
        }
    }

    @Test func lightfieldStoresEachFileWhateverItsName() async throws {
        try await EngineHarness.with { harness in
            let first = try harness.file("one/a.txt", size: 700, seed: 1)
            let second = try harness.file("two/a.txt", size: 800, seed: 2)
            let engine = try harness.engine(harness.profile(), concurrency: 1)
            let ids = await engine.add(paths: [first, second])
            let events = try await collect(engine, ids)
            await engine.shutdown()
            #expect(ids.allSatisfy { events.completed($0) != nil }, "\(ids.map(events.story))")
        }
    }
}
