import Foundation
import HoistTestSupport
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
