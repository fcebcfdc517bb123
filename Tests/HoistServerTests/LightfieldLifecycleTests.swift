import Foundation
import HoistServer
import HoistTestSupport
import Testing

@Suite("Lightfield lifecycle")
struct LightfieldLifecycleTests {
    @Test("create → PUT → complete → metadata → download URL, as the seed describes")
    func fullLifecycle() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let body = Data("hello from Lightfield upload\n".utf8)

            let created = try await lf.create(filename: "manual-upload-check.txt", sizeBytes: body.count)
            #expect(created.status == 200)
            let id = try #require(created.string("id"))
            #expect(id.hasPrefix("fil_"))
            #expect(created.string("filename") == "manual-upload-check.txt")
            #expect(created.string("status") == "PENDING")
            // On S3 the session's key takes one PUT (see S3BlobStoreTests).
            let required = TestBackend.bytesGoToS3 ? ["content-type": "text/plain", "if-none-match": "*"] : ["content-type": "text/plain"]
            #expect(created.json["uploadHeaders"] as? [String: String] == required)
            #expect(created.string("uploadUrl")?.hasPrefix(ts.uploadURLPrefix) == true)
            #expect(created.string("expiresAt")?.hasSuffix("Z") == true)
            // A whole second, the one the signed URL ends at: it works until the very moment said.
            let expiresAt = try #require(created.string("expiresAt").flatMap { try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse($0) })
            #expect(expiresAt.timeIntervalSince1970 == expiresAt.timeIntervalSince1970.rounded(.down), "\(expiresAt)")
            if !TestBackend.bytesGoToS3 {
                let query = URLComponents(string: try #require(created.string("uploadUrl")))?.queryItems ?? []
                #expect(query.first { $0.name == "expires" }?.value == String(Int64(expiresAt.timeIntervalSince1970)))
            }

            let put = try await lf.put(created, body: body)
            #expect(put.status == 200)
            #expect(put.header("ETag") == "\"\(MD5Hex.of(body))\"")

            let completed = try await lf.complete(id, md5: MD5Hex.of(body))
            #expect(completed.status == 200)
            #expect(completed.string("status") == "COMPLETED")
            #expect(completed.string("md5") == MD5Hex.of(body))

            let meta = try await lf.metadata(id)
            #expect(meta.status == 200)
            #expect(meta.string("purpose") == "meeting_transcript")
            #expect(meta.string("mimeType") == "text/plain")
            #expect(meta.json["sizeBytes"] as? Int == body.count)
            #expect(meta.string("completedAt") != nil)

            let url = try await lf.downloadURL(id)
            #expect(url.status == 200)
            let download = try await TestHTTP.send(.GET, try #require(url.string("url")))
            #expect(download.status == 200)
            #expect(download.body == body)
            #expect(download.header("Content-Type") == "text/plain")
        }
    }

    @Test("complete without md5 works, and completing again answers the same body")
    func idempotentComplete() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let body = Data("abc".utf8)
            let created = try await lf.create(sizeBytes: 3)
            let id = try #require(created.string("id"))
            _ = try await lf.put(created, body: body)
            let first = try await lf.complete(id)
            #expect(first.status == 200)
            #expect(first.string("md5") == MD5Hex.of(body))
            let again = try await lf.complete(id)
            #expect(again.status == 200)
            #expect(again.body == first.body)
            let sameMD5 = try await lf.complete(id, md5: MD5Hex.of(body))
            #expect(sameMD5.status == 200)
            let otherMD5 = try await lf.complete(id, md5: String(repeating: "0", count: 32))
            #expect(otherMD5.status == 409)
            #expect(otherMD5.errorCode == "already_completed")
        }
    }

    @Test("the download URL only exists for COMPLETED files and cannot PUT", .diskBlobsOnly)
    func downloadURLRules() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await lf.create(sizeBytes: 3)
            let id = try #require(created.string("id"))
            let early = try await lf.downloadURL(id)
            #expect(early.status == 409)
            #expect(early.errorCode == "not_completed")
            _ = try await lf.put(created, body: Data("abc".utf8))
            _ = try await lf.complete(id)
            let url = try #require(try await lf.downloadURL(id).string("url"))
            let put = try await TestHTTP.send(.PUT, url, headers: [("content-type", "text/plain")], body: Data("xyz".utf8))
            #expect(put.status == 403)
            #expect(put.errorCode == "signature_mismatch")
            let download = try await TestHTTP.send(.GET, url)
            #expect(download.text == "abc")
        }
    }

    @Test("a signed URL with a trailing / or an empty segment is another URL, as it is another key to S3: PUT, GET and HEAD are 404 (under Expect too, before any 100), nothing is stored; the URL as signed works",
          .diskBlobsOnly)
    func signedPathMustBeExact() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await lf.create(purpose: "general", filename: "a b.txt", sizeBytes: 3)
            let id = try #require(created.string("id"))
            let signed = String(try #require(created.string("uploadUrl")).dropFirst(ts.baseURL.count))
            let parts = signed.split(separator: "?", maxSplits: 1).map(String.init)
            let (path, query) = (parts[0], parts[1])
            let variants = [path + "/", path + "//", "/" + path, path.replacingOccurrences(of: "/storage/", with: "/storage//"),
                            path.replacingOccurrences(of: "/\(id)/", with: "/\(id)//")]
            func send(_ method: String, _ target: String, expect: Bool = false) async throws -> String {
                let connection = try RawConnection(port: ts.server.port)
                let body = method == "PUT" ? "abc" : ""
                connection.send("\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: text/plain\r\n"
                                + (method == "PUT" ? "Content-Length: 3\r\n" : "") + (expect ? "Expect: 100-continue\r\n" : "") + "\r\n"
                                + (expect ? "" : body))
                // A HEAD's Content-Length is the GET's, with no body after it.
                return method == "HEAD" ? await connection.readHead() : await connection.readResponse()
            }
            for variant in variants {
                for expect in [false, true] {
                    let answer = try await send("PUT", variant + "?" + query, expect: expect)
                    #expect(answer.hasPrefix("HTTP/1.1 404") && answer.contains("not_found") && !answer.contains("100 Continue"),
                            "\(variant) expect \(expect): \(answer)")
                }
            }
            #expect(try await ts.storedBlobCount() == 0)
            #expect(try await lf.metadata(id).string("status") == "PENDING")
            #expect(try await send("PUT", signed).hasPrefix("HTTP/1.1 200"))
            #expect(try await lf.complete(id).string("status") == "COMPLETED")
            let download = String(try #require(try await lf.downloadURL(id).string("url")).dropFirst(ts.baseURL.count))
            let downloadParts = download.split(separator: "?", maxSplits: 1).map(String.init)
            for method in ["GET", "HEAD"] {
                for variant in [downloadParts[0] + "/", "/" + downloadParts[0]] {
                    let answer = try await send(method, variant + "?" + downloadParts[1])
                    #expect(answer.hasPrefix("HTTP/1.1 404"), "\(method) \(variant): \(answer)")
                }
            }
            #expect(try await send("GET", download).hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test("cancel: PENDING → CANCELLED; the URL stops working; nothing completes", .diskBlobsOnly)
    func cancelPending() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await lf.create(sizeBytes: 3)
            let id = try #require(created.string("id"))
            _ = try await lf.put(created, body: Data("abc".utf8))
            let cancelled = try await lf.cancel(id)
            #expect(cancelled.status == 200)
            #expect(cancelled.string("status") == "CANCELLED")
            #expect(try await lf.metadata(id).string("status") == "CANCELLED")
            let put = try await lf.put(created, body: Data("abc".utf8))
            #expect(put.status == 409)
            #expect(put.errorCode == "not_pending")
            let complete = try await lf.complete(id)
            #expect(complete.status == 409)
            #expect(complete.errorCode == "not_pending")
            let again = try await lf.cancel(id)
            #expect(again.status == 409)
        }
    }

    @Test("a completed session cannot be cancelled or PUT again (replay)", .diskBlobsOnly)
    func completedIsFinal() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await lf.create(sizeBytes: 3)
            let id = try #require(created.string("id"))
            _ = try await lf.put(created, body: Data("abc".utf8))
            _ = try await lf.complete(id)
            #expect(try await lf.cancel(id).status == 409)
            let replay = try await lf.put(created, body: Data("xyz".utf8))
            #expect(replay.status == 409)
            #expect(replay.errorCode == "not_pending")
            let download = try await TestHTTP.send(.GET, try #require(try await lf.downloadURL(id).string("url")))
            #expect(download.text == "abc")
        }
    }

    @Test("listing: the caller's files, newest first, filtered and paginated")
    func listing() async throws {
        let clock = ManualClock()
        try await TestServer.with(clock: clock) { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            var ids: [String] = []
            for i in 0..<5 {
                clock.advance(by: 1)
                ids.append(try #require(try await lf.create(filename: "f\(i).txt", sizeBytes: 1).string("id")))
            }
            _ = try await lf.cancel(ids[1])
            let other = LightfieldCalls(baseURL: ts.baseURL, key: try await ts.makeKey())
            _ = try await other.create(filename: "theirs.txt", sizeBytes: 1)

            let all = try await lf.list()
            #expect(all.status == 200)
            let rows = try #require(all.json["data"] as? [[String: Any]])
            #expect(rows.compactMap { $0["id"] as? String } == ids.reversed())
            #expect(all.json["nextCursor"] is NSNull)

            let pending = try #require(try await lf.list("?status=PENDING").json["data"] as? [[String: Any]])
            #expect(pending.count == 4)
            #expect(pending.allSatisfy { $0["status"] as? String == "PENDING" })

            let page1 = try await lf.list("?limit=2")
            let cursor = try #require(page1.string("nextCursor"))
            let page2 = try await lf.list("?limit=2&cursor=\(cursor)")
            let page3 = try await lf.list("?limit=2&cursor=\(try #require(page2.string("nextCursor")))")
            let paged = [page1, page2, page3].flatMap { ($0.json["data"] as? [[String: Any]]) ?? [] }.compactMap { $0["id"] as? String }
            #expect(paged == ids.reversed())
            #expect(page3.json["nextCursor"] is NSNull)

            #expect(try await lf.list("?limit=0").status == 400)
            #expect(try await lf.list("?limit=1001").status == 400)
            #expect(try await lf.list("?status=DONE").status == 400)
            #expect(try await lf.list("?cursor=%%%").status == 400)
            // A cursor is base64 of `millis|id`, which a client can make: an id no session
            // could have (a NUL, which PostgreSQL refuses in text; a space; nothing) is a
            // 400 on every store, never a 500.
            for id in ["\u{0}", "fil_a\u{0}b", "fil a", ""] {
                let cursor = Data("1796490375094|\(id)".utf8).base64EncodedString()
                    .addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                let answer = try await lf.list("?cursor=\(cursor)")
                #expect(answer.status == 400 && answer.errorCode == "invalid_request", "\(id.debugDescription): \(answer.text)")
            }
        }
    }

    @Test("another user's file answers 404; a key added to the same user sees it")
    func ownership() async throws {
        try await TestServer.with { ts in
            let alice = LightfieldCalls(baseURL: ts.baseURL, key: try await ts.makeKey(user: "alice"))
            let aliceAgain = LightfieldCalls(baseURL: ts.baseURL, key: try await ts.makeKey(user: "alice"))
            let bob = LightfieldCalls(baseURL: ts.baseURL, key: try await ts.makeKey(user: "bob"))
            let id = try #require(try await alice.create(sizeBytes: 1).string("id"))
            let foreign = try await bob.metadata(id)
            #expect(foreign.status == 404)
            #expect(foreign.errorCode == "not_found")
            #expect(try await bob.cancel(id).status == 404)
            #expect(try await bob.complete(id).status == 404)
            #expect(try await aliceAgain.metadata(id).status == 200)
            #expect(try await alice.metadata("fil_doesnotexist").status == 404)
        }
    }
}
