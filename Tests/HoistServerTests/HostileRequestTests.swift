import Foundation
import HoistServer
import HoistTestSupport
import Testing

/// Requests a hostile or merely unusual client sends, each answered in the contract's
/// terms, with the connection left able to serve or closed, never held.
@Suite("Hostile requests against the real server")
struct HostileRequestTests {
    @Test("a JSON body or a Luw form over 1 MiB is a 4xx in the route's dialect, never a 500")
    func oversizedBodies() async throws {
        try await TestServer.with { ts in
            let padding = String(repeating: "a", count: 1_200_000)
            let create = try await TestHTTP.send(
                .POST, "\(ts.baseURL)/v1/files", headers: TestHTTP.lightfield(ts.key),
                body: Data(#"{"purpose":"general","filename":"c.txt","mimeType":"text/plain","sizeBytes":3,"pad":"\#(padding)"}"#.utf8))
            #expect(create.status == 400 && create.errorCode == "invalid_request", "\(create.status) \(create.text.prefix(200))")
            let complete = try await TestHTTP.send(
                .POST, "\(ts.baseURL)/v1/files/fil_x/complete", headers: TestHTTP.lightfield(ts.key),
                body: Data(#"{"md5":"\#(padding)"}"#.utf8))
            #expect(complete.status == 400 && complete.errorCode == "invalid_request", "\(complete.status)")
            let form = TestHTTP.form([("filename", "a.jpg"), ("pad", padding)])
            let luw = try await TestHTTP.send(.POST, "\(ts.baseURL)/v2/upload",
                                              headers: [("Authorization", "Bearer \(ts.key)"), ("Content-Type", form.contentType)],
                                              body: form.body)
            #expect(luw.status == 413 && luw.json["status"] as? Bool == false, "\(luw.status) \(luw.text.prefix(200))")
        }
    }

    @Test("a JSON body sent as another media type → 415 unsupported_media_type; application/json with parameters, a +json type, or none is read")
    func bodyMediaType() async throws {
        try await TestServer.with { ts in
            let body = TestHTTP.json(["purpose": "general", "filename": "a.txt", "mimeType": "text/plain", "sizeBytes": 1])
            func create(_ contentType: String?) async throws -> HTTPResult {
                var headers = [("Authorization", "Bearer \(ts.key)"), ("Lightfield-Version", "2026-03-01")]
                if let contentType { headers.append(("Content-Type", contentType)) }
                return try await TestHTTP.send(.POST, "\(ts.baseURL)/v1/files", headers: headers, body: body)
            }
            for refused in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx", ""] {
                let answer = try await create(refused)
                #expect(answer.status == 415, "\(refused): \(answer.text)")
                #expect(answer.errorCode == "unsupported_media_type", "\(refused)")
            }
            for taken in ["application/json", "Application/JSON; charset=utf-8", "application/vnd.api+json", nil] {
                #expect(try await create(taken).status == 200, "\(taken ?? "none")")
            }
            // Complete reads its body the same way; an empty one needs no type.
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await lf.create(purpose: "general", filename: "b.txt", sizeBytes: 1)
            let id = try #require(created.string("id"))
            #expect(try await lf.put(created, body: Data("b".utf8)).status == 200)
            let complete = "\(ts.baseURL)/v1/files/\(id)/complete"
            let auth = [("Authorization", "Bearer \(ts.key)"), ("Lightfield-Version", "2026-03-01")]
            #expect(try await TestHTTP.send(.POST, complete, headers: auth + [("Content-Type", "text/plain")], body: Data("{}".utf8)).status == 415)
            #expect(try await TestHTTP.send(.POST, complete, headers: auth + [("Content-Type", "text/plain")]).status == 200)
        }
    }

    @Test("a body with a Content-Encoding other than identity → 415 with Accept-Encoding: identity, in the route's dialect (on the head, before a 100 Continue); nothing of it is stored; identity, or a coding on a request with no body, is taken", .diskBlobsOnly)
    func contentCodings() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await lf.create(purpose: "general", filename: "c.txt", sizeBytes: 3)
            let id = try #require(created.string("id"))
            for coding in ["gzip", "identity, br", "x-anything"] {
                let put = try await lf.put(created, body: Data("abc".utf8), override: ["Content-Encoding": coding])
                #expect(put.status == 415 && put.errorCode == "unsupported_media_type", "\(coding): \(put.text)")
                #expect(put.header("Accept-Encoding") == "identity")
            }
            #expect(try await lf.complete(id).errorCode == "upload_missing")
            // Refused on the head: no 100 Continue for a body that could not be stored.
            let url = try #require(created.string("uploadUrl"))
            let raw = try RawConnection(port: ts.server.port)
            raw.send("PUT \(url.dropFirst(ts.baseURL.count)) HTTP/1.1\r\nHost: x\r\ncontent-type: text/plain\r\n"
                + "Content-Encoding: gzip\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
            let head = await raw.readResponse()
            #expect(head.hasPrefix("HTTP/1.1 415"), "\(head)")
            #expect(try await lf.put(created, body: Data("abc".utf8), override: ["Content-Encoding": "identity"]).status == 200)

            let body = TestHTTP.json(["purpose": "general", "filename": "a.txt", "mimeType": "text/plain", "sizeBytes": 1])
            let gzipped = try await TestHTTP.send(.POST, "\(ts.baseURL)/v1/files",
                                                  headers: TestHTTP.lightfield(ts.key) + [("Content-Type", "application/json"), ("Content-Encoding", "gzip")],
                                                  body: body)
            #expect(gzipped.status == 415 && gzipped.errorCode == "unsupported_media_type", "\(gzipped.text)")
            // A coding named on a request with no body describes nothing.
            let listed = try await TestHTTP.send(.GET, "\(ts.baseURL)/v1/files", headers: TestHTTP.lightfield(ts.key) + [("Content-Encoding", "gzip")])
            #expect(listed.status == 200, "\(listed.text)")

            let luw = LuwCalls(baseURL: ts.baseURL, key: try await ts.makeKey(scopes: ["files:create", "files:read"], personas: [5]))
            let session = try await luw.upload(filename: "p.png")
            let signed = try #require(session.string("signed_url"))
            let coded = try await luw.put(signed, body: Data("png".utf8), contentType: "image/png", extra: [("Content-Encoding", "gzip")])
            #expect(coded.status == 415 && coded.json["status"] as? Bool == false && coded.string("error") == "unsupported_media_type", "\(coded.text)")
        }
    }

    @Test("JSON Foundation would take but RFC 8259 does not: a trailing comma, a name twice, UTF-16, a BOM → 400")
    func strictJSON() async throws {
        try await TestServer.with { ts in
            let fields = #""purpose":"general","filename":"a.txt","mimeType":"text/plain","sizeBytes":3"#
            let bodies: [Data] = [
                Data("{\(fields),}".utf8),
                Data(#"{\#(fields),"sizeBytes":4}"#.utf8),
                Data(#"{\#(fields),"\u0073izeBytes":4}"#.utf8),
                "{\(fields)}".data(using: .utf16)!,
                Data([0xEF, 0xBB, 0xBF] + Array("{\(fields)}".utf8)),
            ]
            for body in bodies {
                let answer = try await TestHTTP.send(.POST, "\(ts.baseURL)/v1/files", headers: TestHTTP.lightfield(ts.key), body: body)
                #expect(answer.status == 400 && answer.errorCode == "invalid_request", "\(String(decoding: body, as: UTF8.self)): \(answer.text)")
            }
            // Numbers out of the grammar, in a field Codable would skip.
            for number in ["01", "00.5", "1.", "1e", "-", "1e+", "-01"] {
                let answer = try await TestHTTP.send(.POST, "\(ts.baseURL)/v1/files", headers: TestHTTP.lightfield(ts.key),
                                                     body: Data(#"{\#(fields),"x":\#(number)}"#.utf8))
                #expect(answer.status == 400 && answer.errorCode == "invalid_request", "\(number): \(answer.text)")
            }
            let fine = try await TestHTTP.send(.POST, "\(ts.baseURL)/v1/files", headers: TestHTTP.lightfield(ts.key),
                                               body: Data(#"{ \#(fields), "note": [1, {"a": 1}, {"a": "x,}\\"}, 5e0, -0.5E+1, 0, true, null] }"#.utf8))
            #expect(fine.status == 200, "\(fine.text)")
        }
    }

    @Test("Upgrade and CONNECT are answered, then the connection closes; a request behind them is not held to a 408")
    func protocolSwitches() async throws {
        try await TestServer.with { ts in
            for first in ["GET /nope HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n",
                          "CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n"] {
                let connection = try RawConnection(port: ts.server.port)
                connection.send(first + "GET /nope2 HTTP/1.1\r\nHost: x\r\n\r\n")
                let (text, closed) = await connection.readUntilClosed(timeout: 30)
                #expect(closed, "\(first)")
                #expect(text.hasPrefix("HTTP/1.1 404") || text.hasPrefix("HTTP/1.1 405"), "\(text)")
                #expect(!text.contains(" 408 "), "\(text)")
                #expect(text.lowercased().contains("\r\nconnection: close\r\n"), "the answer says it closes: \(text)")
            }
            #expect(try await LightfieldCalls(baseURL: ts.baseURL, key: ts.key).list().status == 200)
        }
    }

    @Test("HTTP/1.0 without keep-alive, or with a Transfer-Encoding, closes after its answer")
    func http10() async throws {
        try await TestServer.with { ts in
            let connection = try RawConnection(port: ts.server.port)
            connection.send("GET /nope HTTP/1.0\r\nHost: x\r\n\r\n")
            // The idle timeout is 60 s: a close within 20 is the answer's.
            let (text, closed) = await connection.readUntilClosed(timeout: 20)
            #expect(closed && text.hasPrefix("HTTP/1.1 404"), "\(text)")
            #expect(text.lowercased().contains("\r\nconnection: close\r\n"), "\(text)")

            // Keep-alive asked: kept, and said, so a 1.0 client reuses it.
            let kept = try RawConnection(port: ts.server.port)
            kept.send("GET /nope HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
            let first = await kept.readResponse()
            #expect(first.hasPrefix("HTTP/1.1 404") && first.lowercased().contains("\r\nconnection: keep-alive\r\n"), "\(first)")
            kept.send("GET /openapi.json HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
            #expect(await kept.readResponse().hasPrefix("HTTP/1.1 200"))

            // A Transfer-Encoding, which 1.0 does not have: closed after it, keep-alive or not
            // (RFC 9112 §6.1), so nothing behind its body is taken for a request.
            let framed = try RawConnection(port: ts.server.port)
            framed.send("POST /nope HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3\r\nabc\r\n0\r\n\r\nGET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n")
            let (answered, closedAfter) = await framed.readUntilClosed(timeout: 20)
            #expect(closedAfter && answered.lowercased().contains("\r\nconnection: close\r\n"), "\(answered)")
            #expect(answered.components(separatedBy: "HTTP/1.1 ").count == 2, "one answer only: \(answered)")
        }
    }

    @Test("an HTTP/1.0 PUT with Expect: 100-continue gets no interim answer", .diskBlobsOnly)
    func http10Expect() async throws {
        try await TestServer.with { ts in
            let created = try await LightfieldCalls(baseURL: ts.baseURL, key: ts.key).create(sizeBytes: 3)
            let url = try #require(created.string("uploadUrl"))
            let put = try RawConnection(port: ts.server.port)
            put.send("PUT \(url.dropFirst(ts.baseURL.count)) HTTP/1.0\r\nHost: x\r\ncontent-type: text/plain\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
            // A 1.0 client waits for no interim answer: it sends the body, and the final answer is the first.
            put.send("abc")
            let (answer, _) = await put.readUntilClosed(timeout: 20)
            #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
        }
    }

    @Test("Expect is a list: 100-continue twice, or beside another expectation, still gets its 100 Continue at once",
          .diskBlobsOnly, arguments: ["Expect: 100-continue\r\nExpect: 100-continue", "Expect: 100-continue, foo", "Expect: foo\r\nExpect: 100-Continue"])
    func expectAsAList(expect: String) async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await lf.create(sizeBytes: 3)
            let url = try #require(created.string("uploadUrl"))
            let put = try RawConnection(port: ts.server.port)
            put.send("PUT \(url.dropFirst(ts.baseURL.count)) HTTP/1.1\r\nHost: x\r\ncontent-type: text/plain\r\nContent-Length: 3\r\n\(expect)\r\n\r\n")
            // Before any byte of the body: the client waits for it (the body timeout is 60 s).
            let interim = await put.readHead(timeout: 20)
            #expect(interim.hasPrefix("HTTP/1.1 100"), "\(interim)")
            put.send("abc")
            let answer = await put.readResponse(timeout: 20)
            #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
            #expect(try await lf.complete(try #require(created.string("id"))).status == 200)
        }
    }

    @Test("Transfer-Encoding other than chunked → 501 JSON; nothing is stored", .diskBlobsOnly)
    func transferCodings() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await lf.create(sizeBytes: 3)
            let url = try #require(created.string("uploadUrl"))
            let connection = try RawConnection(port: ts.server.port)
            connection.send("PUT \(url.dropFirst(ts.baseURL.count)) HTTP/1.1\r\nHost: x\r\ncontent-type: text/plain\r\n"
                + "Transfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
            let text = await connection.readResponse()
            #expect(text.hasPrefix("HTTP/1.1 501"), "\(text)")
            #expect(text.contains(#""type":"not_implemented""#), "\(text)")
            #expect(try await lf.complete(try #require(created.string("id"))).errorCode == "upload_missing")

            // One answer, which says the connection closes: the body it framed cannot be
            // told from a next request. An empty Transfer-Encoding is no coding either.
            for coding in ["gzip", ""] {
                let api = try RawConnection(port: ts.server.port)
                api.send("POST /v1/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(ts.key)\r\nLightfield-Version: 2026-03-01\r\n"
                    + "Transfer-Encoding: \(coding)\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
                let (answer, closed) = await api.readUntilClosed(timeout: 20)
                #expect(closed && answer.hasPrefix("HTTP/1.1 501"), "\(coding): \(answer)")
                #expect(answer.components(separatedBy: "HTTP/1.1 ").count == 2, "one answer: \(answer)")
                #expect(answer.lowercased().contains("\r\nconnection: close\r\n"), "\(answer)")
            }
        }
    }

    @Test("HEAD on a GET route is the GET without its body; elsewhere a 405 whose Allow names what is", .diskBlobsOnly)
    func head() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let done = try await lf.upload(Data("hello".utf8), purpose: "general", filename: "h.txt", mimeType: "text/plain")
            let id = try #require(done.string("id"))
            let download = try #require(try await lf.downloadURL(id).string("url"))
            let get = try await TestHTTP.send(.GET, download)
            let head = try await TestHTTP.send(.HEAD, download)
            #expect(head.status == 200 && head.body.isEmpty)
            #expect(head.header("Content-Length") == "5" && head.header("Content-Type") == get.header("Content-Type"))
            #expect(try await TestHTTP.send(.HEAD, "\(ts.baseURL)/openapi.json").status == 200)
            // With Expect, the early check judges a HEAD as its GET's URL.
            let expecting = try RawConnection(port: ts.server.port)
            expecting.send("HEAD \(download.dropFirst(ts.baseURL.count)) HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n")
            let early = await expecting.readResponse()
            #expect(early.hasPrefix("HTTP/1.1 100") || early.hasPrefix("HTTP/1.1 200"), "\(early)")
            #expect(!early.contains(" 403 "), "\(early)")
            let unsigned = try await TestHTTP.send(.HEAD, "\(ts.baseURL)/v1/files/\(id)")
            #expect(unsigned.status == 401, "HEAD is held to GET's rules: \(unsigned.status)")
            let postOnly = try await TestHTTP.send(.HEAD, "\(ts.baseURL)/v1/files/\(id)/complete", headers: TestHTTP.lightfield(ts.key))
            #expect(postOnly.status == 405 && postOnly.header("Allow") == "OPTIONS, POST", "\(postOnly.status) \(String(describing: postOnly.header("Allow")))")
            // Luw's finalize is a GET that changes state: HEAD must not run it.
            let finalize = try await TestHTTP.send(.HEAD, "\(ts.baseURL)/v2/finalize_upload?url=x", headers: [("Authorization", "Bearer \(ts.key)")])
            #expect(finalize.status == 405 && finalize.header("Allow") == "GET, OPTIONS", "\(finalize.status)")
            let wrong = try await TestHTTP.send(.DELETE, "\(ts.baseURL)/openapi.json")
            #expect(wrong.status == 405 && wrong.header("Allow") == "GET, HEAD, OPTIONS", "\(String(describing: wrong.header("Allow")))")
        }
    }

    @Test("a Content-Type with a comma is no one type: served as application/octet-stream, never inline HTML", .diskBlobsOnly)
    func commaTypes() async throws {
        try await TestServer.with { ts in
            let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
            for type in ["text/html,", "text/plain, text/html"] {
                let created = try await luw.upload(filename: "t.png")
                let signed = try #require(created.string("signed_url"))
                let final = try #require(created.string("final_url"))
                #expect(try await luw.put(signed, body: Data("<script>1</script>".utf8), contentType: type).status == 200)
                let served = try await TestHTTP.send(.GET, final)
                #expect(served.header("Content-Type") == "application/octet-stream", "\(type): \(String(describing: served.header("Content-Type")))")
                #expect(served.header("Content-Security-Policy") == "sandbox")
            }
        }
    }

    @Test("a Luw PUT whose stored headers are not UTF-8 → 400; they are never served back changed", .diskBlobsOnly)
    func nonASCIIStoredHeaders() async throws {
        try await TestServer.with { ts in
            let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await luw.upload(filename: "n.png")
            let signed = try #require(created.string("signed_url"))
            let connection = try RawConnection(port: ts.server.port)
            connection.send(bytes: Array("PUT \(signed.dropFirst(ts.baseURL.count)) HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nCache-Control: max-age=".utf8)
                + [0xFF, 0xFE] + Array("\r\n\r\nabc".utf8))
            let text = await connection.readResponse()
            #expect(text.hasPrefix("HTTP/1.1 400") && text.contains("not valid UTF-8"), "\(text)")
        }
    }

    @Test("a NUL in a final URL's name names no file: 404 to read, 400 to finalize", .diskBlobsOnly)
    func nulInFinalURL() async throws {
        try await TestServer.with { ts in
            let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await luw.upload(filename: "t1.png")
            let signed = try #require(created.string("signed_url"))
            let final = try #require(created.string("final_url"))
            #expect(try await luw.put(signed, body: Data("png".utf8), contentType: "image/png").status == 200)
            #expect(try await TestHTTP.send(.GET, final).status == 200)
            #expect(try await TestHTTP.send(.GET, final + "%00junk.html").status == 404)
            #expect(try await luw.finalize(final + "%00junk").status == 400)
        }
    }
}
