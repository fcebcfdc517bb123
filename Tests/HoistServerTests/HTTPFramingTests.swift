import Foundation
import HoistServer
import HoistTestSupport
import Testing

/// Requests that are not valid HTTP/1.1 get JSON answers too, and lose nothing.
@Suite("Broken HTTP framing")
struct HTTPFramingTests {
    @Test("a request line or header the decoder cannot parse → 400 JSON and the connection closes")
    func badHeads() async throws {
        try await TestServer.with { ts in
            for head in ["GARBAGE LINE\r\n\r\n", "GET /v1/files HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
                         "GET /v1/files HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"] {
                let connection = try RawConnection(port: ts.server.port)
                connection.send(head)
                let (text, closed) = await connection.readUntilClosed(timeout: 30)
                #expect(closed)
                #expect(text.hasPrefix("HTTP/1.1 400"), "\(head): \(text)")
                #expect(text.contains(#""type":"invalid_request""#), "\(text)")
            }
            #expect(try await LightfieldCalls(baseURL: ts.baseURL, key: ts.key).list().status == 200)
        }
    }

    @Test("a chunked PUT body that breaks mid-way → 400 JSON; nothing is stored; the session can be PUT again", .diskBlobsOnly)
    func brokenChunkedBody() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await lf.create(sizeBytes: 5)
            let url = try #require(created.string("uploadUrl"))
            let connection = try RawConnection(port: ts.server.port)
            connection.send("PUT \(url.dropFirst(ts.baseURL.count)) HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: text/plain\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nZZZ\r\nde\r\n0\r\n\r\n")
            let (text, closed) = await connection.readUntilClosed(timeout: 30)
            #expect(closed)
            #expect(text.hasPrefix("HTTP/1.1 400"), "\(text)")
            #expect(text.contains(#""type":"invalid_request""#))
            #expect(await waitUntil {
                ((try? FileManager.default.contentsOfDirectory(atPath: ts.dataDirectory + "/tmp")) ?? []).isEmpty && ts.openTemporaryBodies() == []
            })
            let id = try #require(created.string("id"))
            #expect(try await lf.complete(id).errorCode == "upload_missing")
            #expect(try await lf.put(created, body: Data("abcde".utf8)).status == 200)
            #expect(try await lf.complete(id).status == 200)
        }
    }
}
