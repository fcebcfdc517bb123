import Foundation
import HoistServer
import HoistTestSupport
import Testing

@Suite("Knowledge purposes")
struct KnowledgeTests {
    @Test("names are stamped with epoch ms before the last extension; uploadHeaders carry if-none-match: *")
    func stamping() async throws {
        try await TestServer.with(clock: ManualClock(start: Date(timeIntervalSince1970: 1_713_045_600))) { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let cases = [("playbook.md", "text/markdown", "playbook_1713045600000.md"),
                         ("archive.tar.gz", "text/plain", "archive.tar_1713045600000.gz"),
                         ("README", "text/plain", "README_1713045600000")]
            for (name, mime, stamped) in cases {
                let created = try await lf.create(purpose: "knowledge_user", filename: name, mimeType: mime, sizeBytes: 1)
                #expect(created.string("filename") == stamped)
                #expect(created.json["uploadHeaders"] as? [String: String] == ["content-type": mime, "if-none-match": "*"])
            }
        }
    }

    @Test("a PUT without if-none-match → 403; onto an existing object → 412; knowledge never overwrites", .diskBlobsOnly)
    func conditionalPut() async throws {
        let clock = ManualClock()
        try await TestServer.with(clock: clock) { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            // Same millisecond, same name: the second is stamped the next millisecond, so
            // that it can complete (sharing the first's object it never could).
            let first = try await lf.create(purpose: "knowledge_user", filename: "doc.md", mimeType: "text/markdown", sizeBytes: 5)
            let second = try await lf.create(purpose: "knowledge_user", filename: "doc.md", mimeType: "text/markdown", sizeBytes: 5)
            let millis = Int64(clock.now().timeIntervalSince1970 * 1000)
            #expect(first.string("filename") == "doc_\(millis).md")
            #expect(second.string("filename") == "doc_\(millis + 1).md", "\(second.text)")

            let stripped = try await lf.put(first, body: Data("first".utf8), override: ["if-none-match": nil])
            #expect(stripped.status == 403)
            #expect(stripped.errorCode == "signature_mismatch")

            #expect(try await lf.put(first, body: Data("first".utf8)).status == 200)
            // Its URL again, onto its own object: never overwritten.
            let again = try await lf.put(first, body: Data("again".utf8))
            #expect(again.status == 412)
            #expect(again.errorCode == "precondition_failed")
            // With Expect: 100-continue the head gets the 412 where the store can be read
            // without waiting (SQLite): no body is sent for nothing. On PostgreSQL the head
            // is judged by what the URL proves, and the route answers 412 after the body.
            let path = String(try #require(first.string("uploadUrl")).dropFirst(ts.baseURL.count))
            let expecting = try RawConnection(port: ts.server.port)
            expecting.send("PUT \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: text/markdown\r\nif-none-match: *\r\n"
                + "Content-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n")
            if TestBackend.isPostgres { expecting.send("other") }
            let (early, closed) = await expecting.readUntilClosed(timeout: 30)
            #expect(closed)
            if TestBackend.isPostgres {
                #expect(early.hasPrefix("HTTP/1.1 100"), "\(early)")
            } else {
                #expect(early.hasPrefix("HTTP/1.1 412"), "\(early)")
            }
            #expect(early.contains("HTTP/1.1 412") && early.contains("precondition_failed"), "\(early)")

            let firstID = try #require(first.string("id"))
            #expect(try await lf.complete(firstID).status == 200)
            let url = try #require(try await lf.downloadURL(firstID).string("url"))
            #expect(try await TestHTTP.send(.GET, url).text == "first")
            #expect(try await lf.put(second, body: Data("other".utf8)).status == 200)
            #expect(try await lf.complete(try #require(second.string("id"))).status == 200)

            // A millisecond later: that one's stamp is the second's, so the next is taken.
            clock.advance(by: 0.001)
            let third = try await lf.create(purpose: "knowledge_user", filename: "doc.md", mimeType: "text/markdown", sizeBytes: 5)
            #expect(third.string("filename") == "doc_\(millis + 2).md", "\(third.text)")
            #expect(try await lf.put(third, body: Data("third".utf8)).status == 200)
        }
    }

    @Test("20 creates of one knowledge name at once, in one millisecond: 20 names, each stamped apart, and every upload completes")
    func concurrentCreatesGetDistinctNames() async throws {
        try await TestServer.with(clock: ManualClock()) { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await withThrowingTaskGroup(of: HTTPResult.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await lf.create(purpose: "knowledge_user", filename: "same.md", mimeType: "text/markdown", sizeBytes: 4) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(created.compactMap { $0.string("filename") }).count == 20, "\(created.map(\.text))")
            for session in created {
                #expect(try await lf.put(session, body: Data("same".utf8)).status == 200)
                #expect(try await lf.complete(try #require(session.string("id"))).status == 200)
            }
        }
    }

    @Test("knowledge_workspace needs the admin role; its files are readable by the whole organisation")
    func workspace() async throws {
        try await TestServer.with { ts in
            let member = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let admin = LightfieldCalls(baseURL: ts.baseURL, key: try await ts.makeKey(role: "admin"))
            let denied = try await member.create(purpose: "knowledge_workspace", filename: "a.md", mimeType: "text/markdown", sizeBytes: 1)
            #expect(denied.status == 403)
            #expect(denied.errorCode == "forbidden")
            let done = try await admin.upload(Data("x".utf8), purpose: "knowledge_workspace", filename: "a.md", mimeType: "text/markdown")
            #expect(done.string("status") == "COMPLETED")
            let id = try #require(done.string("id"))
            #expect(try await member.metadata(id).status == 200)
            #expect(try await member.downloadURL(id).status == 200)
            #expect(try await member.cancel(id).status == 404)

            let personal = try await admin.upload(Data("y".utf8), purpose: "knowledge_user", filename: "b.md", mimeType: "text/markdown")
            #expect(try await member.metadata(try #require(personal.string("id"))).status == 404)
        }
    }
}
