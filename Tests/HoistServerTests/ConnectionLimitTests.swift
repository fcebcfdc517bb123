import Foundation
@testable import HoistServer
import HoistTestSupport
import NIOCore
import Testing

/// Every connection is bounded: heads, idle keep-alives and stalled bodies time out; a
/// cap keeps new connections from starving the ones in flight.
@Suite("Connection limits against the real server")
struct ConnectionLimitTests {
    private static func limits(header: Double = 10, idle: Double = 60, body: Double = 60, send: Double = 60, max: Int = 4096)
        -> (inout ServerConfiguration) -> Void
    {
        { config in
            config.connectionLimits.headerTimeout = .milliseconds(Int64(header * 1000))
            config.connectionLimits.idleTimeout = .milliseconds(Int64(idle * 1000))
            config.connectionLimits.bodyTimeout = .milliseconds(Int64(body * 1000))
            config.connectionLimits.sendTimeout = .milliseconds(Int64(send * 1000))
            config.connectionLimits.maxConnections = max
        }
    }

    @Test("a head that never completes is answered 408 and closed once the header timeout passes")
    func headerTimeout() async throws {
        try await TestServer.with(configure: Self.limits(header: 0.5)) { ts in
            let connection = try RawConnection(port: ts.server.port)
            connection.send("POST /v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            // Without the header timeout nothing would ever close it (the idle and body
            // timeouts are 60 s and do not apply to a partial head). 30 s, not a tight bound:
            // on 2 cores at the crowded start of a full run, a 0.5 s timer has fired after 11 s.
            let (text, closed) = await connection.readUntilClosed(timeout: 30)
            #expect(closed, "still open after 30 s: \(text)")
            #expect(text.hasPrefix("HTTP/1.1 408"), "\(text)")
            #expect(text.contains("request_timeout"))
            // A page may read it, as any answer of the API (CORS for any origin, the default).
            #expect(text.lowercased().contains("\r\naccess-control-allow-origin: *\r\n"), "\(text)")
        }
    }

    @Test("a keep-alive connection left idle is closed after the idle timeout, not before a request finishes")
    func idleTimeout() async throws {
        // 2 s: a loop held up longer than the idle timeout between the accept and the read of
        // a request already sent closes the connection with the request unread (seen once,
        // with 0.5 s, at the crowded start of a PostgreSQL run), as any keep-alive race may.
        try await TestServer.with(configure: Self.limits(idle: 2)) { ts in
            let connection = try RawConnection(port: ts.server.port)
            connection.send("GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let answer = await connection.readResponse()
            #expect(answer.hasPrefix("HTTP/1.1 200"))
            // Without the idle timeout nothing would close it: the header timeout needs a
            // byte of a next request. 30 s, as above, for a crowded machine.
            let (rest, closed) = await connection.readUntilClosed(timeout: 30)
            #expect(closed, "still open after 30 s")
            #expect(rest.isEmpty)
        }
    }

    @Test("a PUT body that stalls is answered 408, its connection closed, its temporary file removed, the session re-uploadable",
          .diskBlobsOnly, arguments: [10, 70_000])
    func stalledBody(declared: Int) async throws {
        // 10 bytes are held in memory, for the database to keep (SmallBodyTests); 70,000 are
        // more than it keeps, so they stream to a temporary file from the first byte.
        let toFile = declared > 64 * 1024 || TestBackend.isPostgres
        // 6 s: long enough that a loaded machine still sees the temporary file before it goes
        // (with 2 s, a full run on a crowded 2-core machine once polled too late to see it).
        try await TestServer.with(configure: Self.limits(body: 6)) { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await lf.create(purpose: "general", filename: "stall.txt", sizeBytes: declared)
            let url = try #require(created.string("uploadUrl"))
            let path = String(url.dropFirst(ts.baseURL.count))
            let connection = try RawConnection(port: ts.server.port)
            connection.send("PUT \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: text/plain\r\nContent-Length: \(declared)\r\n\r\nabc")
            let tmp = ts.dataDirectory + "/tmp"
            if toFile {
                #expect(await waitUntil { ts.openTemporaryBodies() == [3] })
                // Unnamed where the file system allows it: no name in tmp/ for a crash to leave.
                let named = (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? []
                #expect(named.count == (BlobWriter.unnamedFilesWork(in: tmp) ? 0 : 1))
            }
            let (text, closed) = await connection.readUntilClosed(timeout: 30)
            #expect(closed)
            #expect(text.hasPrefix("HTTP/1.1 408"), "\(text)")
            #expect(text.contains("request_timeout"))
            #expect(text.lowercased().contains("connection: close"), "it closes, and says so: \(text)")
            #expect(await waitUntil { ts.openTemporaryBodies() == [] })
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? []).isEmpty)
            #expect(try await ts.storedBlobCount() == 0)
            // The memory the stalled body held is free again.
            #expect(await waitUntil { ts.server.state.heldBodies.left == HeldBodyBudget.defaultBytes })
            let id = try #require(created.string("id"))
            #expect(try await lf.complete(id).errorCode == "upload_missing")
            #expect(try await lf.put(created, body: Data(repeating: 0x61, count: declared)).status == 200)
            #expect(try await lf.complete(id).status == 200)
        }
    }

    @Test("downloads their clients stop reading are closed after the send timeout: their files and connections are let go",
          .diskBlobsOnly)
    func stalledDownload() async throws {
        try await TestServer.with(configure: Self.limits(send: 1)) { ts in
            // Far more than loopback's socket buffers hold: the server's output has to wait.
            let size = 32 << 20
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let (id, path) = try await lf.storedDownload(Data(repeating: 0x62, count: size), filename: "big.bin")
            // Two clients ask for the file and read none of it.
            let stalled = try (0..<2).map { _ in try RawConnection(port: ts.server.port, receiveBuffer: 4096) }
            for connection in stalled { connection.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") }
            let blobs = ts.dataDirectory + "/blobs"
            #expect(await waitUntil { (TestServer.openFiles(in: blobs)?.count ?? 0) > 0 }, "the downloads began")
            // Without the send timeout nothing would let them go: the server is busy
            // answering, so no other deadline applies, and each holds its file and connection.
            #expect(await waitUntil { TestServer.openFiles(in: blobs)?.count == 0 }, "the stalled downloads still hold the file")
            for connection in stalled {
                let (text, closed) = await connection.readUntilClosed(timeout: 30)
                #expect(closed)
                #expect(text.hasPrefix("HTTP/1.1 200"))
                #expect(text.utf8.count < size, "the whole answer was sent: the client did not hold it back")
            }
            #expect(try await lf.metadata(id).status == 200)
        }
    }

    @Test("a download its client reads slowly but steadily is not cut by a send timeout shorter than the server's socket buffer takes to drain: the client's acknowledged bytes count as taking the answer",
          .diskBlobsOnly)
    func slowSteadyReader() async throws {
        try await TestServer.with(configure: Self.limits(send: 1)) { ts in
            let size = 4 << 20
            let (_, target) = try await LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
                .storedDownload(Data(repeating: 0x73, count: size), filename: "slow.bin")
            // 64 KiB every 0.1 s, through a small receive buffer: about 6.5 s for the file,
            // while the server's socket buffer (megabytes on loopback) is said writable
            // again only once a third of it is free, seconds apart at this rate.
            let reader = try RawConnection(port: ts.server.port, receiveBuffer: 65536)
            reader.send("GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            let read = await reader.readPaced(chunk: 65536, every: 0.1, timeout: 60)
            #expect(read.closed && read.bytes > size, "\(read.bytes) bytes of \(size) and a head")
        }
    }

    @Test("a client that reads nothing and never closes, behind an answer that said Connection: close with a request pipelined after it, is let go at the send timeout: a closing output that fits the buffers is waited on no longer than one that does not",
          arguments: [false, true])
    func closingOutputIsHeldToTheSendTimeout(halfClose: Bool) async throws {
        try await TestServer.with(configure: Self.limits(send: 1)) { ts in
            // The answer fits the socket's buffers, so NIO calls the output flowing; the
            // request behind the closing one is never answered, so the connection is never
            // idle. It was held until the client closed it.
            let connection = try RawConnection(port: ts.server.port, receiveBuffer: 4096)
            connection.send("GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                            + "GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(await waitUntil { connection.peerHoldsIt }, "the server took the connection")
            if halfClose { connection.shutdownWrite() }
            #expect(await waitUntil { connection.bytesWaiting > 0 }, "the answer began")
            #expect(await waitUntil { !connection.peerHoldsIt }, "the server still holds the connection")
            let (text, closed) = await connection.readUntilClosed(timeout: 30)
            #expect(closed)
            #expect(text.components(separatedBy: "HTTP/1.1 ").count == 2, "one answer: \(text.prefix(200))")
        }
    }

    @Test("at the connection cap a new connection waits unaccepted; the ones open keep working; it is served when one closes")
    func connectionCap() async throws {
        try await TestServer.with(configure: Self.limits(max: 3)) { ts in
            let held = try (0..<3).map { _ in try RawConnection(port: ts.server.port) }
            for connection in held { connection.send("GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") }
            for connection in held { #expect(await connection.readResponse().hasPrefix("HTTP/1.1 200")) }
            let waiting = try RawConnection(port: ts.server.port)
            waiting.send("GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            #expect(await waiting.readResponse(timeout: 1).isEmpty, "over the cap, nothing is answered yet")
            held[0].send("GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(await held[0].readResponse().hasPrefix("HTTP/1.1 200"), "the connections in flight keep their share")
            held[1].close()
            #expect(await waiting.readResponse(timeout: 30).hasPrefix("HTTP/1.1 200"))
        }
    }
}
