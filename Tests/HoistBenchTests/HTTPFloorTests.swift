import Foundation
import HoistTestSupport
import Testing

@testable import hoist_bench

@Suite("the small-file HTTP floor")
struct HTTPFloorTests {
    @Test("the floor runs whole lifecycles over loopback: every PUT's bytes reach its server")
    func floorCarriesEveryBody() async throws {
        let counter = FloorCounter()
        let (ports, bound) = AsyncStream<Int>.makeStream()
        let server = Task {
            // Finished however serve ends, so that a server that never listens fails the
            // test below instead of hanging it.
            defer { bound.finish() }
            try await HTTPFloor.serve(host: "127.0.0.1", port: 0, counter: counter) { port in
                bound.yield(port)
                bound.finish()
            }
        }
        var port = 0
        for await value in ports { port = value }
        #expect(port > 0)
        let elapsed = try await HTTPFloor.lifecycles(endpoint: "http://127.0.0.1:\(port)", count: 60, jobs: 4, bytes: 4096)
        server.cancel()
        _ = try? await server.value
        #expect(counter.total == 60 * 4096)
        #expect(elapsed > .zero)
    }

    @Test("a floor client fails when nothing answers, instead of timing nothing")
    func floorFailsWithoutServer() async throws {
        let port = try closedPort()
        await #expect(throws: (any Error).self) {
            _ = try await HTTPFloor.lifecycles(endpoint: "http://127.0.0.1:\(port)", count: 2, jobs: 1, bytes: 16)
        }
    }

    @Test("the floor's canned answers have the real server's fields and, within a tenth, its sizes")
    func cannedAnswersMatchTheServer() async throws {
        try await TestServer.with { server in
            let calls = LightfieldCalls(baseURL: server.baseURL, key: server.key)
            let created = try await calls.create(purpose: "general", filename: "file-00001.txt", mimeType: "text/plain",
                                                 sizeBytes: 4096)
            #expect(created.status == 200)
            let id = try #require(created.string("id"))
            let put = try await calls.put(created, body: Data(repeating: 0x78, count: 4096))
            #expect(put.status == 200)
            let completed = try await calls.complete(id)
            #expect(completed.status == 200)

            let port = Int(URL(string: server.baseURL)?.port ?? 0)
            for (real, canned) in [(created, HTTPFloor.createdBody(id: id, port: port)), (completed, HTTPFloor.completedBody(id: id))] {
                let cannedJSON = try #require(try JSONSerialization.jsonObject(with: Data(canned.utf8)) as? [String: Any])
                #expect(Set(cannedJSON.keys) == Set(real.json.keys))
                let ratio = Double(canned.utf8.count) / Double(real.body.count)
                #expect(abs(ratio - 1) <= 0.1, "canned \(canned.utf8.count) bytes against the server's \(real.body.count)")
            }
        }
    }
}
