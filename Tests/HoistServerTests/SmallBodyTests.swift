import AsyncHTTPClient
import Foundation
import GRDB
import HoistTestSupport
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import HoistServer

/// Bodies of at most 64 KiB kept in the SQLite database with their object, not as files.
@Suite("Small bodies in the database")
struct SmallBodyTests {
    static let limit = 64 * 1024

    /// Uploads `body` as a Lightfield file (by `put`, so it can be streamed) and returns
    /// what its download URL serves.
    static func roundTrip(_ ts: TestServer, _ body: Data, put: (HTTPResult) async throws -> HTTPResult) async throws -> HTTPResult {
        let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
        let created = try await lf.create(purpose: "general", filename: "small.bin", mimeType: "application/octet-stream", sizeBytes: body.count)
        let id = try #require(created.string("id"))
        let stored = try await put(created)
        #expect(stored.status == 200)
        #expect(stored.header("ETag") == "\"\(MD5Hex.of(body))\"")
        #expect(try await lf.complete(id, md5: MD5Hex.of(body)).string("status") == "COMPLETED")
        return try await TestHTTP.send(.GET, try #require(try await lf.downloadURL(id).string("url")))
    }

    /// Uploads `body` as a chunked PUT (no `Content-Length`) of `chunk`-byte pieces.
    static func streamed(_ ts: TestServer, _ body: Data, chunk: Int) async throws -> HTTPResult {
        try await roundTrip(ts, body) { created in
            let url = try #require(created.string("uploadUrl"))
            var request = HTTPClientRequest(url: url)
            request.method = .PUT
            request.headers.add(name: "content-type", value: "application/octet-stream")
            let chunks = stride(from: 0, to: body.count, by: chunk).map {
                ByteBuffer(bytes: body[$0..<min($0 + chunk, body.count)])
            }
            request.body = .stream(chunks.async, length: .unknown)
            return try await TestHTTP.execute(request)
        }
    }

    static func blobFiles(_ ts: TestServer) throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: ts.dataDirectory + "/blobs").count
    }

    @Test("up to 64 KiB a body is a row, not a file, and is served byte for byte; one byte more is a file",
          .diskBlobsOnly, .keptBodies)
    func keptUpToTheLimit() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            var kept = 0
            for size in [1, 4096, Self.limit] {
                let body = TestBytes.pseudoRandom(count: size, seed: .random(in: 0...UInt64.max))
                let served = try await Self.roundTrip(ts, body) { try await lf.put($0, body: body) }
                #expect(served.status == 200)
                #expect(served.body == body, "\(size) bytes")
                #expect(served.header("Content-Length") == String(size))
                kept += 1
                #expect(try ts.smallBodyCount() == kept)
                #expect(try Self.blobFiles(ts) == 0)
            }
            let large = TestBytes.pseudoRandom(count: Self.limit + 1, seed: .random(in: 0...UInt64.max))
            let served = try await Self.roundTrip(ts, large) { try await lf.put($0, body: large) }
            #expect(served.body == large)
            #expect(try ts.smallBodyCount() == kept)
            #expect(try Self.blobFiles(ts) == 1)
        }
    }

    @Test("an empty Luw body is kept as an empty row and served as 0 bytes, not lost as NULL",
          .diskBlobsOnly, .keptBodies)
    func emptyBody() async throws {
        try await TestServer.with { ts in
            let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await luw.upload(filename: "empty.png")
            let stored = try await luw.put(try #require(created.string("signed_url")), body: Data(), contentType: "image/png")
            #expect(stored.status == 200)
            #expect(stored.header("ETag") == "\"\(MD5Hex.of(Data()))\"")
            #expect(try ts.smallBodyCount() == 1)
            let served = try await TestHTTP.send(.GET, try #require(created.string("final_url")))
            #expect(served.status == 200)
            #expect(served.body.isEmpty)
            #expect(served.header("Content-Length") == "0")
        }
    }

    @Test("a chunked body is judged by the bytes that came: small ones kept, one that outgrows the limit goes to a file whole",
          .diskBlobsOnly, .keptBodies)
    func chunkedBodies() async throws {
        try await TestServer.with { ts async throws in
            let small = TestBytes.pseudoRandom(count: 10_000, seed: .random(in: 0...UInt64.max))
            #expect(try await Self.streamed(ts, small, chunk: 3_000).body == small)
            #expect(try ts.smallBodyCount() == 1)
            #expect(try Self.blobFiles(ts) == 0)
            // The chunk that crosses the limit moves what was held, then itself, to the file.
            let large = TestBytes.pseudoRandom(count: 3 * Self.limit + 123, seed: .random(in: 0...UInt64.max))
            #expect(try await Self.streamed(ts, large, chunk: 20_000).body == large)
            #expect(try ts.smallBodyCount() == 1)
            #expect(try Self.blobFiles(ts) == 1)
            #expect(await waitUntil { ts.openTemporaryBodies() == [] })
        }
    }

    @Test("a replaced, cancelled or swept object takes its kept body with it, in the same commit",
          .diskBlobsOnly, .keptBodies)
    func bodiesGoWithTheirObjects() async throws {
        let clock = ManualClock()
        try await TestServer.with(sessionTTL: 60, clock: clock) { ts in
            let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
            let first = try await luw.upload(filename: "x12tmp-same.png")
            #expect(try await luw.put(try #require(first.string("signed_url")), body: Data("one".utf8), contentType: "image/png").status == 200)
            let second = try await luw.upload(filename: "x12tmp-same.png")
            #expect(try await luw.put(try #require(second.string("signed_url")), body: Data("two".utf8), contentType: "image/png").status == 200)
            #expect(try ts.smallBodyCount() == 1)
            #expect(try await TestHTTP.send(.GET, try #require(second.string("final_url"))).text == "two")

            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await lf.create(sizeBytes: 3)
            #expect(try await lf.put(created, body: Data("abc".utf8)).status == 200)
            #expect(try ts.smallBodyCount() == 2)
            #expect(try await lf.cancel(try #require(created.string("id"))).status == 200)
            #expect(try ts.smallBodyCount() == 1)

            // A completion that finds the wrong size discards the bytes with the object.
            let short = try await lf.create(sizeBytes: 5)
            #expect(try await lf.put(short, body: Data("abc".utf8)).status == 200)
            #expect(try ts.smallBodyCount() == 2)
            #expect(try await lf.complete(try #require(short.string("id"))).errorCode == "size_mismatch")
            #expect(try ts.smallBodyCount() == 1)

            clock.advance(by: 12 * 3600 + 1)
            try await ts.server.sweep()
            #expect(try await TestHTTP.send(.GET, try #require(second.string("final_url"))).status == 404)
            #expect(try ts.smallBodyCount() == 0)
            #expect(try Self.blobFiles(ts) == 0)
        }
    }

    @Test("the pages of swept kept bodies go back to the file system: hoist.sqlite shrinks at the sweep, by at most 8 MiB a sweep",
          .diskBlobsOnly, .keptBodies)
    func sweptBodiesShrinkTheDatabase() async throws {
        let clock = ManualClock()
        try await TestServer.with(sessionTTL: 60, clock: clock) { ts in
            let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
            // 200 bodies of 60 KiB: 12 MiB, more than one sweep hands back.
            for i in 0..<200 {
                let created = try await luw.upload(filename: "x12tmp-\(i).png")
                let body = TestBytes.pseudoRandom(count: 60 << 10, seed: UInt64(i))
                #expect(try await luw.put(try #require(created.string("signed_url")), body: body, contentType: "image/png").status == 200)
            }
            let full = try Self.pages(ts)
            #expect(full.total > 3_000, "\(full)")
            clock.advance(by: 12 * 3600 + 1)
            try await ts.server.sweep()
            #expect(try ts.smallBodyCount() == 0)
            let first = try Self.pages(ts)
            // The free pages it hands back, less the pointer-map pages that went with them.
            let released = full.total - first.total
            #expect(released > SQLiteStore.pagesReleasedPerSweep - 16 && released <= SQLiteStore.pagesReleasedPerSweep, "\(full) → \(first)")
            try await ts.server.sweep()
            let second = try Self.pages(ts)
            #expect(second.free == 0 && second.total < 500, "what is left is the rows: \(second)")
        }
    }

    @Test("an older database (no auto_vacuum) is converted when a quarter of it is free pages, and left as it is otherwise")
    func olderDatabasesAreConvertedWhenWorthIt() throws {
        for (label, freed) in [("worth it", 3_000), ("not worth it", 500)] {
            let directory = try TempDirectory.make(prefix: "hoist-vacuum")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let old = try DatabaseQueue(path: directory + "/hoist.sqlite")
            try old.write { db in
                try db.execute(sql: "CREATE TABLE filler (bytes BLOB)")
                for _ in 0..<4_000 { try db.execute(sql: "INSERT INTO filler VALUES (zeroblob(3000))") }
                try db.execute(sql: "DELETE FROM filler WHERE rowid <= ?", arguments: [freed])
            }
            #expect(try old.read { try Int.fetchOne($0, sql: "PRAGMA auto_vacuum") } == 0)
            try old.close()
            _ = try SQLiteStore(directory: directory)
            let reopened = try DatabaseQueue(path: directory + "/hoist.sqlite")
            let mode = try reopened.read { try Int.fetchOne($0, sql: "PRAGMA auto_vacuum") }
            let free = try reopened.read { try Int.fetchOne($0, sql: "PRAGMA freelist_count") } ?? -1
            if freed == 3_000 {
                #expect(mode == 2 && free == 0, "\(label): \(String(describing: mode)), \(free) free")
            } else {
                #expect(mode == 0 && free > 0, "\(label): \(String(describing: mode)), \(free) free")
            }
        }
    }

    /// `hoist.sqlite`'s pages, and how many of them are free, as committed.
    static func pages(_ ts: TestServer) throws -> (total: Int, free: Int) {
        var config = Configuration()
        config.readonly = true
        let db = try DatabaseQueue(path: ts.dataDirectory + "/hoist.sqlite", configuration: config)
        return try db.read { db in
            (try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0, try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0)
        }
    }

    @Test("an object read just before a PUT replaced it is gone: 404, not 500; its final URL serves the new one",
          .diskBlobsOnly, .keptBodies)
    func replacedWhileRead() async throws {
        try await TestServer.with { ts in
            let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
            let first = try await luw.upload(filename: "x12tmp-race.png")
            #expect(try await luw.put(try #require(first.string("signed_url")), body: Data("one".utf8), contentType: "image/png").status == 200)
            let store = ts.server.state.store
            let id = try #require(Self.sessionID(first))
            let key = try #require(try await store.session(id: id, now: Date())?.objectKey)
            let stale = try #require(try await store.object(at: key))
            #expect(try await ObjectResponse.keptBytes(of: stale, store: store) == Data("one".utf8))
            let second = try await luw.upload(filename: "x12tmp-race.png")
            #expect(try await luw.put(try #require(second.string("signed_url")), body: Data("two".utf8), contentType: "image/png").status == 200)
            // What a GET that read the object before the PUT committed now finds.
            await #expect(throws: APIError.self) { try await ObjectResponse.keptBytes(of: stale, store: store) }
            do {
                _ = try await ObjectResponse.keptBytes(of: stale, store: store)
            } catch let error as APIError {
                #expect(error.status == .notFound)
            }
            #expect(try await TestHTTP.send(.GET, try #require(first.string("final_url"))).text == "two")
            // The final URL's own route, given the stale record, serves the name's new bytes.
            let served = try await ts.server.state.blobs.serveFinal(stale, filename: "x12tmp-race.png", request: [:])
            #expect(served.status == .ok)
            #expect(served.headers[.contentLength] == "3")
            #expect(served.headers[.eTag] == "\"\(MD5Hex.of(Data("two".utf8)))\"")
        }
    }

    /// The session id in a Luw upload answer's signed URL (`/storage/ID/NAME`).
    static func sessionID(_ answer: HTTPResult) -> String? {
        guard let url = answer.string("signed_url"), let range = url.range(of: "/storage/") else { return nil }
        return url[range.upperBound...].split(separator: "/").first.map(String.init)
    }

    @Test("a kept body that is gone or the wrong size → 500, never a short 200",
          .diskBlobsOnly, .keptBodies)
    func brokenStore() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let body = Data("twelve bytes".utf8)
            let done = try await lf.upload(body)
            let id = try #require(done.string("id"))
            let url = try #require(try await lf.downloadURL(id).string("url"))
            #expect(try await TestHTTP.send(.GET, url).body == body)

            var config = Configuration()
            config.busyMode = .timeout(10)
            let db = try DatabaseQueue(path: ts.dataDirectory + "/hoist.sqlite", configuration: config)
            try await db.write { try $0.execute(sql: "UPDATE smallBodies SET bytes = x'00'") }
            let short = try await TestHTTP.send(.GET, url)
            #expect(short.status == 500)
            #expect(short.body != Data([0]))
            try await db.write { try $0.execute(sql: "DELETE FROM smallBodies") }
            #expect(try await TestHTTP.send(.GET, url).status == 500)
        }
    }

    @Test("bodies held in memory share one budget: past it a small body streams to a file; a finished body gives its room back")
    func heldBudget() async throws {
        let dir = try TempDirectory.make(prefix: "hoist-bodysink")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let disk = try DiskBlobStore(dataDirectory: dir)
        let budget = HeldBodyBudget(bytes: 10)
        var first: BodySink? = try BodySink(disk: disk, smallLimit: Self.limit, declaredLength: 8, budget: budget)
        try await first?.write(ByteBuffer(string: "12345678"))
        #expect(budget.left == 2)
        #expect(TestServer.openFiles(in: disk.tempDirectory) == [])
        let second = try BodySink(disk: disk, smallLimit: Self.limit, declaredLength: 8, budget: budget)
        try await second.write(ByteBuffer(string: "abcdefgh"))
        #expect(TestServer.openFiles(in: disk.tempDirectory) == [8])
        let kept = try #require(try await first?.finish())
        #expect(kept.bytes == Data("12345678".utf8))
        #expect(kept.blobId.hasPrefix(DiskBlobStore.inlinePrefix))
        #expect(kept.md5 == MD5Hex.of(Data("12345678".utf8)))
        first = nil
        #expect(budget.left == 10)
        let filed = try await second.finish()
        #expect(filed.bytes == nil)
        #expect(FileManager.default.contents(atPath: disk.path(of: filed.blobId)) == Data("abcdefgh".utf8))
        // A chunked body reserves the whole limit; a declared one over it, nothing.
        let chunked = try BodySink(disk: disk, smallLimit: 10, declaredLength: nil, budget: budget)
        #expect(budget.left == 0)
        // Once it outgrows the limit it is a file, and gives its room back at once.
        try await chunked.write(ByteBuffer(string: "0123456789A"))
        #expect(budget.left == 10)
        #expect(TestServer.openFiles(in: disk.tempDirectory) == [11])
        let large = try BodySink(disk: disk, smallLimit: 4, declaredLength: 5, budget: HeldBodyBudget(bytes: 100))
        #expect(TestServer.openFiles(in: disk.tempDirectory)?.sorted() == [0, 11])
        chunked.abort()
        large.abort()
    }

    @Test("on PostgreSQL every body is a file in the data directory",
          .diskBlobsOnly, .enabled(if: TestBackend.isPostgres, "the SQLite store keeps small bodies"))
    func postgresKeepsFiles() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let body = Data("small".utf8)
            let done = try await lf.upload(body)
            #expect(done.string("status") == "COMPLETED")
            #expect(try Self.blobFiles(ts) == 1)
            let id = try #require(done.string("id"))
            let url = try #require(try await lf.downloadURL(id).string("url"))
            #expect(try await TestHTTP.send(.GET, url).body == body)
        }
    }
}

extension Trait where Self == ConditionTrait {
    /// A test of the bodies the SQLite store keeps; PostgreSQL keeps none.
    static var keptBodies: Self { .enabled(if: !TestBackend.isPostgres, "PostgreSQL keeps no bodies") }
}
