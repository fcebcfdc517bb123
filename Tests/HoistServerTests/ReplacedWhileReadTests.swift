import Foundation
import HoistTestSupport
import Hummingbird
import NIOCore
import Synchronization
import Testing

@testable import HoistServer

/// A download racing the PUT that replaces its object (Luw names are replaced in place):
/// the bytes it answers with are whole, old or new, never a 200 head with a short body.
@Suite struct ReplacedWhileReadTests {
    /// Collects what a response body writes.
    struct Collector: ResponseBodyWriter {
        final class Bytes: Sendable { let data = Mutex(Data()) }
        let bytes = Bytes()
        func write(_ buffer: ByteBuffer) async throws { bytes.data.withLock { $0.append(contentsOf: buffer.readableBytesView) } }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }

    static func body(of response: Response) async throws -> Data {
        let collector = Collector()
        let bytes = collector.bytes
        try await response.body.write(collector)
        return bytes.data.withLock { $0 }
    }

    @Test("a file-backed object read just before a PUT replaced it: a response opened before the replace sends the old bytes whole, one opened after serves the name's new bytes",
          .diskBlobsOnly)
    func replacedFileWhileRead() async throws {
        try await TestServer.with { ts in
            let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
            // Over 64 KiB: files, not kept bodies.
            let old = TestBytes.pseudoRandom(count: 200_000, seed: 1)
            let new = TestBytes.pseudoRandom(count: 150_000, seed: 2)
            let first = try await luw.upload(filename: "x12tmp-file.png")
            #expect(try await luw.put(try #require(first.string("signed_url")), body: old, contentType: "image/png").status == 200)
            let store = ts.server.state.store
            let url = try #require(first.string("signed_url"))
            let id = try #require(url.split(separator: "/storage/").last?.split(separator: "/").first.map(String.init))
            let key = try #require(try await store.session(id: id, now: Date())?.objectKey)
            let stale = try #require(try await store.object(at: key))

            let opened = try await ts.server.state.blobs.serveFinal(stale, filename: "x12tmp-file.png", request: [:])
            let second = try await luw.upload(filename: "x12tmp-file.png")
            #expect(try await luw.put(try #require(second.string("signed_url")), body: new, contentType: "image/png").status == 200)
            #expect(try await store.object(at: key)?.blobId != stale.blobId, "the old blob's file is deleted")

            #expect(opened.status == .ok && opened.headers[.contentLength] == "200000")
            #expect(try await Self.body(of: opened) == old, "opened before the replace: the old bytes, whole")
            let late = try await ts.server.state.blobs.serveFinal(stale, filename: "x12tmp-file.png", request: [:])
            #expect(late.headers[.contentLength] == "150000")
            #expect(try await Self.body(of: late) == new, "read before, served after: the name's new bytes")
            #expect(try await TestHTTP.send(.GET, try #require(second.string("final_url"))).body == new)
        }
    }
}
