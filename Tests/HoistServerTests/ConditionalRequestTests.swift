import Foundation
import HoistTestSupport
import Testing

/// `If-None-Match` (RFC 9110 §13.1.2), which API.md lets browsers send: a GET of a file
/// whose ETag it names is answered 304 with nothing read; a PUT with `*` stores only where
/// no bytes are yet.
@Suite("conditional requests")
struct ConditionalRequestTests {
    @Test("a download GET naming the file's ETag (or *, or it weakly) gets 304 with the ETag and no body; another ETag gets the bytes", .diskBlobsOnly)
    func conditionalDownload() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let body = Data(repeating: 0x61, count: 100_000)
            let id = try #require(try await lf.upload(body).string("id"))
            let url = try #require(try await lf.downloadURL(id).string("url"))
            let etag = "\"\(MD5Hex.of(body))\""
            for matching in [etag, "*", "W/\(etag)", "\"other\", \(etag)"] {
                let answer = try await TestHTTP.send(.GET, url, headers: [("If-None-Match", matching)])
                #expect(answer.status == 304 && answer.body.isEmpty, "\(matching): \(answer.status)")
                #expect(answer.header("ETag") == etag, "\(matching)")
            }
            let other = try await TestHTTP.send(.GET, url, headers: [("If-None-Match", "\"0123\"")])
            #expect(other.status == 200 && other.body == body)

            // A Luw final URL served from disk, alike.
            let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await luw.upload(filename: "a.png")
            let png = Data("png bytes".utf8)
            #expect(try await luw.put(try #require(created.string("signed_url")), body: png, contentType: "image/png").status == 200)
            let final = try #require(created.string("final_url"))
            #expect(try await luw.finalize(final).status == 200)
            let cached = try await TestHTTP.send(.GET, final, headers: [("If-None-Match", "\"\(MD5Hex.of(png))\"")])
            #expect(cached.status == 304 && cached.body.isEmpty, "\(cached.status)")
            // The 304 repeats the freshness the 200 carries (the PUT's), as RFC 9110 §15.4.5 asks.
            #expect(cached.header("Cache-Control") == "max-age=315360000" && cached.header("Expires") == "Sun, 19 Jul 2030 18:06:32 GMT",
                    "\(cached.headers)")
            #expect(try await TestHTTP.send(.GET, final).body == png)
        }
    }

    @Test("a PUT with If-None-Match: * (or a list naming the bytes there) where bytes are already stored gets 412 and leaves them (with Expect too); on a session without bytes, or a list naming others, it stores", .diskBlobsOnly)
    func conditionalPut() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await lf.create(sizeBytes: 5)
            let id = try #require(created.string("id"))
            #expect(try await lf.put(created, body: Data("first".utf8), override: ["If-None-Match": "*"]).status == 200)
            let again = try await lf.put(created, body: Data("again".utf8), override: ["If-None-Match": "*"])
            #expect(again.status == 412, "\(again.text)")
            // Refused on its head when it asks Expect, where the store can be read without
            // waiting (SQLite): no byte of it is read. On PostgreSQL the head is judged by what
            // the URL proves, and the route answers 412 after the body.
            let path = String(try #require(created.string("uploadUrl")).dropFirst(ts.baseURL.count))
            let connection = try RawConnection(port: ts.server.port)
            connection.send("PUT \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
                + "If-None-Match: *\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n")
            if TestBackend.isPostgres { connection.send("again") }
            let (text, _) = await connection.readUntilClosed(timeout: 30)
            #expect(text.hasPrefix(TestBackend.isPostgres ? "HTTP/1.1 100" : "HTTP/1.1 412"), "\(text)")
            #expect(text.contains("HTTP/1.1 412"), "\(text)")
            // A list of ETags is held to the bytes there: 412 when it names them, weakly too.
            let firstTag = "\"\(MD5Hex.of(Data("first".utf8)))\""
            for tags in [firstTag, "W/\(firstTag)", "\"other\", \(firstTag)"] {
                #expect(try await lf.put(created, body: Data("again".utf8), override: ["If-None-Match": tags]).status == 412, "\(tags)")
            }
            // The first bytes stayed.
            #expect(try await lf.complete(id, md5: MD5Hex.of(Data("first".utf8))).status == 200)
            // A list that does not name them lets the PUT go on.
            let other = try await lf.create(sizeBytes: 5)
            #expect(try await lf.put(other, body: Data("first".utf8)).status == 200)
            #expect(try await lf.put(other, body: Data("later".utf8), override: ["If-None-Match": "\"0123\""]).status == 200)
            #expect(try await lf.complete(try #require(other.string("id")), md5: MD5Hex.of(Data("later".utf8))).status == 200)
        }
    }
}
