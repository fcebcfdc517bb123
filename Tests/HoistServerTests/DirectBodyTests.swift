import Foundation
import HoistTestSupport
import Testing

@testable import HoistServer

/// A server whose data is on a disk writes a large body past the page cache
/// (`BlobWriter.Direct`); the rest of the suite's servers keep their data on tmpfs, which
/// takes no direct I/O, so these are the tests of that path through the server.
@Suite("Large bodies on a disk: written past the page cache, stored whole or not at all")
struct DirectBodyTests {
    /// `O_DIRECT` as /proc/self/fdinfo shows it (octal): arm's value differs from x86-64's.
    private static let directFlag: Int32 = {
        #if arch(arm64) || arch(arm)
        return 0o200000
        #else
        return 0o40000
        #endif
    }()

    /// 3 MiB and a bit: through the cache, two whole chunks direct, and a tail.
    private static let body = DirectIOFixtures.varied(3 << 20 + 12_345)

    @Test("a large PUT is stored whole (its MD5 checked at complete) and served back byte for byte; the staging buffers go back",
          .diskBlobsOnly)
    func storedWhole() async throws {
        try await TestServer.with(dataDirectory: try DirectIOFixtures.directory(prefix: "direct-server")) { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let (_, target) = try await lf.storedDownload(Self.body, filename: "large.bin")
            let got = try await TestHTTP.send(.GET, ts.baseURL + target)
            #expect(got.status == 200)
            #expect(got.body == Self.body)
            #expect(try #require(ts.server.state.disk).directBuffers.left == BlobWriter.Direct.budgetBytes)
        }
    }

    @Test("a large PUT cut off after its first direct chunks leaves nothing, gives its buffers back, and the session takes the whole body after",
          .diskBlobsOnly)
    func cutOffLeavesNothing() async throws {
        try await TestServer.with(dataDirectory: try DirectIOFixtures.directory(prefix: "direct-server")) { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await lf.create(purpose: "general", filename: "cut.bin", sizeBytes: Self.body.count)
            let url = try #require(created.string("uploadUrl"))
            let connection = try RawConnection(port: ts.server.port)
            connection.send("PUT \(url.dropFirst(ts.baseURL.count)) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "content-type: text/plain\r\nContent-Length: \(Self.body.count)\r\n\r\n")
            #expect(connection.send(bytes: Array(Self.body.prefix(5 << 19))))  // 2.5 MiB
            // The server's file for it is open with O_DIRECT, and holds what came, less what
            // waits in a buffer.
            #expect(await waitUntil {
                guard let flags = ts.openTemporaryBodyFlags(), flags.count == 1 else { return false }
                return flags[0] & Self.directFlag != 0 && ts.openTemporaryBodies() == [2 << 20]
            }, "open bodies: \(ts.openTemporaryBodies() ?? []), flags: \(ts.openTemporaryBodyFlags() ?? [])")
            let buffers = try #require(ts.server.state.disk).directBuffers
            #expect(buffers.left == BlobWriter.Direct.budgetBytes - BlobWriter.Direct.reserved)
            connection.close()
            #expect(await waitUntil { ts.openTemporaryBodies() == [] })
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: ts.dataDirectory + "/tmp")) ?? []).isEmpty)
            #expect(try await ts.storedBlobCount() == 0)
            #expect(await waitUntil { buffers.left == BlobWriter.Direct.budgetBytes })
            let id = try #require(created.string("id"))
            #expect(try await lf.put(created, body: Self.body).status == 200)
            #expect(try await lf.complete(id, md5: MD5Hex.of(Self.body)).status == 200)
        }
    }
}
