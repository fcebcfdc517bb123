import Foundation
@testable import HoistServer
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

    @Test("a head a browser can send and the decoder refuses (a cookie past its limits) → 400 JSON a page may read (CORS, as the routes' answers); with a list of origins, only Vary")
    func badHeadsCarryCORS() async throws {
        let heads = ["GET /v1/files HTTP/1.1\r\nHost: x\r\nOrigin: https://app.test\r\nCookie: " + String(repeating: "a", count: 200_000) + "\r\n\r\n",
                     "GET /v1/files HTTP/1.1\r\nHost: x\r\nOrigin: https://app.test\r\nBad Header\r\n\r\n"]
        try await TestServer.with { ts in
            for head in heads {
                let connection = try RawConnection(port: ts.server.port)
                connection.send(head)
                let (text, closed) = await connection.readUntilClosed(timeout: 30)
                #expect(closed)
                #expect(text.hasPrefix("HTTP/1.1 400") && text.contains(#""type":"invalid_request""#), "\(text.prefix(300))")
                let lower = text.lowercased()
                #expect(lower.contains("access-control-allow-origin: *\r\n") && lower.contains("access-control-expose-headers: etag"), "\(text.prefix(400))")
            }
        }
        try await TestServer.with(configure: { $0.allowedOrigins = ["https://app.test"] }) { ts in
            let connection = try RawConnection(port: ts.server.port)
            connection.send(heads[1])
            let (text, _) = await connection.readUntilClosed(timeout: 30)
            let lower = text.lowercased()
            #expect(text.hasPrefix("HTTP/1.1 400") && lower.contains("vary: origin") && !lower.contains("access-control-allow-origin"), "\(text.prefix(400))")
        }
    }

    @Test("a request the decoder refuses, pipelined behind ones still being answered: their answers first, then the JSON 400 with CORS, then the connection closes",
          arguments: ["GET /v1/files HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                      "GET /v1/files HTTP/1.1\r\nHost: x\r\nBad\u{0}Header: 1\r\n\r\n",
                      "NOT A REQUEST LINE\r\n\r\n"])
    func pipelinedBadHeadsAfterAnswers(refused: String) async throws {
        try await TestServer.with { ts in
            let connection = try RawConnection(port: ts.server.port)
            connection.send("GET /v1/nothing HTTP/1.1\r\nHost: x\r\n\r\nGET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n" + refused)
            let (text, closed) = await connection.readUntilClosed(timeout: 30)
            #expect(closed)
            let answers = text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { String($0.prefix(3)) }
            #expect(answers == ["404", "200", "400"], "\(text.prefix(300))")
            let refusal = text.components(separatedBy: "HTTP/1.1 400").last ?? ""
            #expect(refusal.contains(#""type":"invalid_request""#), "\(refusal.prefix(400))")
            #expect(refusal.lowercased().contains("content-type: application/json"))
            #expect(refusal.lowercased().contains("access-control-allow-origin: *"), "\(refusal.prefix(400))")
        }
    }

    @Test("bytes the decoder refuses behind a request that said Connection: close: that request's answer is the last, nothing follows it, and the connection closes")
    func nothingFollowsAClosingAnswer() async throws {
        try await TestServer.with { ts in
            let connection = try RawConnection(port: ts.server.port)
            connection.send("GET /openapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nNOT A REQUEST LINE\r\n\r\n")
            let (text, closed) = await connection.readUntilClosed(timeout: 30)
            #expect(closed)
            let answers = text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { String($0.prefix(3)) }
            #expect(answers == ["200"], "\(text.prefix(300))")
            // A valid request behind it is not answered either, and holds nothing open.
            let second = try RawConnection(port: ts.server.port)
            second.send("GET /openapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n")
            let (again, ended) = await second.readUntilClosed(timeout: 30)
            #expect(ended, "the connection stayed open after its closing answer")
            #expect(again.components(separatedBy: "HTTP/1.1 ").count == 2, "\(again.prefix(300))")
        }
    }

    @Test("a PUT body longer than its Content-Length: the PUT's answer, then the JSON 400 for the bytes after it, then the connection closes", .diskBlobsOnly)
    func bytesPastABodyAreRefusedAfterItsAnswer() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await lf.create(sizeBytes: 3)
            let url = try #require(created.string("uploadUrl"))
            let connection = try RawConnection(port: ts.server.port)
            connection.send("PUT \(url.dropFirst(ts.baseURL.count)) HTTP/1.1\r\nHost: x\r\ncontent-type: text/plain\r\nContent-Length: 3\r\n\r\nabc"
                            + "and then some bytes that are no request\r\n\r\n")
            let (text, closed) = await connection.readUntilClosed(timeout: 30)
            #expect(closed)
            let answers = text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { String($0.prefix(3)) }
            #expect(answers == ["200", "400"], "\(text.prefix(400))")
            #expect(text.contains(#""type":"invalid_request""#), "\(text.prefix(600))")
        }
    }

    @Test("a head the decoder refuses (two Content-Lengths, Content-Length with chunked) → 400 in its path's dialect")
    func badHeadsInTheirDialect() async throws {
        try await TestServer.with { ts in
            let heads = ["Content-Length: 3\r\nContent-Length: 4\r\n", "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n"]
            let paths: [(String, Dialect)] = [("/v2/upload", .luw), ("/cdn/luwai/1/a.jpg", .luw), ("/storage/upl_abc/a.jpg?x=1", .luw),
                                              ("/v1/files", .lightfield), ("/storage/fil_abc/a.txt", .lightfield), ("/elsewhere", .lightfield)]
            for (path, dialect) in paths {
                for fields in heads {
                    let connection = try RawConnection(port: ts.server.port)
                    connection.send("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(fields)\r\nabcd")
                    let (text, closed) = await connection.readUntilClosed(timeout: 30)
                    #expect(closed)
                    #expect(text.hasPrefix("HTTP/1.1 400"), "\(path): \(text)")
                    let shape = dialect == .luw ? #""status":false,"error":"invalid_request""# : #""error":{"type":"invalid_request""#
                    #expect(text.contains(shape), "\(path) \(fields): \(text)")
                }
            }
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

    @Test("an answer given before the body is read (401, 413) says Connection: close and closes, one answer, the rest unread",
          .diskBlobsOnly)
    func earlyAnswersClose() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            // A 401 before the JSON body is read, and a chunk after it that does not parse:
            // one answer, not a second 400 a keep-alive client would take for its next request's.
            let unauthorized = try RawConnection(port: ts.server.port)
            unauthorized.send("POST /v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer nope\r\n"
                + "content-type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\nZZ\r\n")
            let (text, closed) = await unauthorized.readUntilClosed(timeout: 30)
            #expect(closed)
            #expect(text.hasPrefix("HTTP/1.1 401"), "\(text)")
            #expect(text.lowercased().contains("connection: close"), "\(text)")
            #expect(text.components(separatedBy: "HTTP/1.1 ").count == 2, "one answer: \(text)")

            // A PUT that declares more than its session's size: 413 from the head, and the
            // connection closes at once instead of reading the gigabytes it announced.
            let created = try await lf.create(purpose: "general", filename: "a.bin", sizeBytes: 10)
            let path = String(try #require(created.string("uploadUrl")).dropFirst(ts.baseURL.count))
            let tooLarge = try RawConnection(port: ts.server.port)
            tooLarge.send("PUT \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: text/plain\r\nContent-Length: 10000000000\r\n\r\nabc")
            let (answer, gone) = await tooLarge.readUntilClosed(timeout: 30)
            #expect(gone, "still reading a body it refused: \(answer)")
            #expect(answer.hasPrefix("HTTP/1.1 413"), "\(answer)")
            #expect(answer.lowercased().contains("connection: close"), "\(answer)")
            // The session is untouched: the right body still goes in.
            #expect(try await lf.put(created, body: Data(repeating: 0x61, count: 10)).status == 200)
        }
    }

    @Test("a client that goes on sending after an early answer reads it whole, then end of file; its bytes are still taken for a linger, not reset",
          .diskBlobsOnly)
    func earlyAnswerSurvivesTheRestOfTheBody() async throws {
        // A linger no crowded machine outlasts: what is checked is that there is one.
        try await TestServer.with(configure: { $0.connectionLimits.linger = .seconds(60) }) { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await lf.create(purpose: "general", filename: "a.bin", sizeBytes: 10)
            let path = String(try #require(created.string("uploadUrl")).dropFirst(ts.baseURL.count))
            let connection = try RawConnection(port: ts.server.port)
            connection.send("PUT \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: text/plain\r\nContent-Length: 8000000\r\n\r\n")
            // The body keeps coming after the 413 (as curl's does without Expect): closed at
            // once, the server's kernel would answer these bytes with a reset, which can
            // drop the 413 before the client reads it.
            let chunk = [UInt8](repeating: 0x61, count: 64 << 10)
            for _ in 0..<64 where connection.send(bytes: chunk) {}
            let (text, closed) = await connection.readUntilClosed(timeout: 30)
            #expect(closed, "end of file after the answer")
            #expect(text.hasPrefix("HTTP/1.1 413"), "\(text.prefix(300))")
            #expect(text.contains("too_large"), "\(text.prefix(300))")
            // Lingering: the server still takes (and drops) the body for a while after its
            // end of file. A socket closed at once would answer these with a reset, and the
            // sends would fail (EPIPE) within a few chunks.
            var sent = 0
            for _ in 0..<16 where connection.send(bytes: chunk) { sent += 1 }
            #expect(sent == 16, "the server reset the connection after \(sent) more chunks")
        }
    }

    @Test("a request sent after an early answer that said Connection: close is read and dropped, never carried out: a pipelined cancel leaves its session pending",
          .diskBlobsOnly, arguments: ["413", "403", "401", "415"])
    func requestAfterCloseIsNotCarriedOut(refusal: String) async throws {
        try await TestServer.with(configure: { $0.connectionLimits.linger = .seconds(1) }) { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let victim = try #require(try await lf.create(purpose: "general", filename: "victim.txt", sizeBytes: 5).string("id"))
            let created = try await lf.create(purpose: "general", filename: "s.txt", sizeBytes: 5)
            let path = String(try #require(created.string("uploadUrl")).dropFirst(ts.baseURL.count))
            let host = "Host: 127.0.0.1\r\n"
            // The signature's last hex digit changed.
            let tampered = path.dropLast() + (path.hasSuffix("0") ? "1" : "0")
            let head = switch refusal {
            case "413": "PUT \(path) HTTP/1.1\r\n\(host)content-type: text/plain\r\nContent-Length: 6\r\n\r\n"
            case "403": "PUT \(tampered) HTTP/1.1\r\n\(host)content-type: text/plain\r\nContent-Length: 6\r\n\r\n"
            case "401": "POST /v1/files HTTP/1.1\r\n\(host)Authorization: Bearer nope\r\nLightfield-Version: 2026-03-01\r\n"
                + "Content-Type: application/json\r\nContent-Length: 6\r\n\r\n"
            default: "POST /v1/files HTTP/1.1\r\n\(host)Authorization: Bearer \(ts.key)\r\nLightfield-Version: 2026-03-01\r\n"
                + "Content-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: 6\r\n\r\n"
            }
            let connection = try RawConnection(port: ts.server.port)
            connection.send(head)
            let answer = await connection.readResponse()
            #expect(answer.hasPrefix("HTTP/1.1 \(refusal)") && answer.lowercased().contains("connection: close"), "\(answer)")
            // The body it announced, then a request the server must not carry out.
            connection.send("hello!POST /v1/files/\(victim)/cancel HTTP/1.1\r\n\(host)Authorization: Bearer \(ts.key)\r\n"
                + "Lightfield-Version: 2026-03-01\r\nContent-Length: 0\r\n\r\n")
            let (rest, closed) = await connection.readUntilClosed(timeout: 30)
            #expect(closed && !rest.contains("HTTP/1.1"), "a second answer: \(rest)")
            // Once the linger is over the server has closed it altogether (a send then fails):
            // by then a request it had taken would have been carried out long since.
            #expect(await waitUntil(timeout: 30, every: .milliseconds(50)) { !connection.send("x") })
            #expect(try await lf.metadata(victim).string("status") == "PENDING")
        }
    }

    @Test("a Luw PUT declaring more than the general limit → 413 from its head, with or without Expect: 100-continue", .diskBlobsOnly)
    func luwOverLimit() async throws {
        try await TestServer.with { ts in
            let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
            let signed = try #require(try await luw.upload(filename: "big.jpg").string("signed_url"))
            let path = String(signed.dropFirst(ts.baseURL.count))
            let declared = (5 << 30) + 1
            for expect in ["", "Expect: 100-continue\r\n"] {
                let connection = try RawConnection(port: ts.server.port)
                connection.send("PUT \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\n"
                    + "Cache-Control: max-age=315360000\r\nExpires: Sun, 19 Jul 2030 18:06:32 GMT\r\n"
                    + "Content-Length: \(declared)\r\n\(expect)\r\n")
                let (text, closed) = await connection.readUntilClosed(timeout: 30)
                #expect(closed, "\(expect): \(text)")
                #expect(text.hasPrefix("HTTP/1.1 413"), "\(expect): \(text)")
                #expect(!text.contains("100 Continue"), "\(text)")
            }
            #expect(try await luw.put(signed, body: Data(repeating: 0x62, count: 100)).status == 200)
        }
    }

    @Test("pipelined: a PUT asking Expect behind an unanswered request waits its turn; the earlier answer comes first, a refusal after it, and a 100 Continue only once it is written", .diskBlobsOnly)
    func pipelinedExpectWaitsItsTurn() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let first = try await lf.create(sizeBytes: 5)
            let second = try await lf.create(sizeBytes: 5)
            let firstPath = String(try #require(first.string("uploadUrl")).dropFirst(ts.baseURL.count))
            let secondPath = String(try #require(second.string("uploadUrl")).dropFirst(ts.baseURL.count))
            let tampered = secondPath.replacingOccurrences(of: "sig=", with: "sig=0")
            func put(_ path: String, expect: Bool, body: String) -> String {
                "PUT \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
                    + (expect ? "Expect: 100-continue\r\n\r\n" : "\r\n\(body)")
            }
            // A PUT that stores, then one refused on its head, in one write: both answered, in order.
            let refused = try RawConnection(port: ts.server.port)
            refused.send(put(firstPath, expect: false, body: "hello") + put(tampered, expect: true, body: ""))
            let (text, closed) = await refused.readUntilClosed(timeout: 30)
            #expect(closed)
            let ok = try #require(text.range(of: "HTTP/1.1 200"), "\(text)")
            let forbidden = try #require(text.range(of: "HTTP/1.1 403"), "\(text)")
            #expect(ok.lowerBound < forbidden.lowerBound, "\(text)")
            #expect(!text.contains("100 Continue"), "\(text)")
            #expect(try await lf.complete(try #require(first.string("id"))).status == 200)

            // A GET, then an Expect PUT that may go on: the GET's answer, then 100 Continue.
            let accepted = try RawConnection(port: ts.server.port)
            let id = try #require(first.string("id"))
            let headers = TestHTTP.lightfield(ts.key).map { "\($0.0): \($0.1)\r\n" }.joined()
            accepted.send("GET /v1/files/\(id) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(headers)\r\n" + put(secondPath, expect: true, body: ""))
            // Both may come in one read.
            var early = await accepted.readResponse()
            if !early.contains("HTTP/1.1 100") { early += await accepted.readResponse() }
            let got = try #require(early.range(of: "HTTP/1.1 200"), "\(early)")
            let interim = try #require(early.range(of: "HTTP/1.1 100 Continue"), "\(early)")
            #expect(got.lowerBound < interim.lowerBound && early.contains("\"id\""), "\(early)")
            accepted.send("world")
            let stored = await accepted.readResponse()
            #expect(stored.hasPrefix("HTTP/1.1 200"), "\(stored)")
            accepted.close()
            #expect(try await lf.complete(try #require(second.string("id"))).status == 200)

            // Two Expect heads in one pipeline, the second held behind the first's answer:
            // every request answered, in order, and the PUT between them stored.
            let third = try await lf.create(sizeBytes: 5)
            let thirdPath = String(try #require(third.string("uploadUrl")).dropFirst(ts.baseURL.count))
            let both = try RawConnection(port: ts.server.port)
            both.send("GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                + "PUT \(thirdPath) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nthree"
                + "GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n\r\n"
                + "GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            let (all, closed2) = await both.readUntilClosed(timeout: 30)
            #expect(closed2, "\(all)")
            let statuses = all.matches(of: /HTTP\/1\.1 (\d{3})/).map { String($0.1) }
            #expect(statuses == ["404", "100", "200", "100", "404", "404"], "\(all)")
            #expect(try await lf.complete(try #require(third.string("id")), md5: MD5Hex.of(Data("three".utf8))).status == 200)
        }
    }
}
