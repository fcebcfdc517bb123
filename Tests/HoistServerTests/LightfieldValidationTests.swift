import Foundation
import HoistServer
import HoistTestSupport
import Testing

@Suite("Lightfield validation and auth")
struct LightfieldValidationTests {
    @Test("missing, malformed or unknown key → 401 with its Bearer challenge (WWW-Authenticate); missing or wrong version → 400 invalid_version")
    func authAndVersion() async throws {
        try await TestServer.with { ts in
            let url = "\(ts.baseURL)/v1/files"
            let body = TestHTTP.json(["purpose": "general", "filename": "a.txt", "mimeType": "text/plain", "sizeBytes": 1])
            let noKey = try await TestHTTP.send(.POST, url, headers: [("Lightfield-Version", "2026-03-01")], body: body)
            #expect(noKey.status == 401)
            #expect(noKey.errorCode == "unauthorized")
            #expect((noKey.json["error"] as? [String: Any])?["message"] is String)
            #expect(noKey.header("WWW-Authenticate") == #"Bearer realm="hoist""#)
            let badKey = try await TestHTTP.send(.POST, url, headers: TestHTTP.lightfield("hk_nope"), body: body)
            #expect(badKey.status == 401)
            #expect(badKey.header("WWW-Authenticate") == #"Bearer realm="hoist", error="invalid_token""#)
            let basic = try await TestHTTP.send(.POST, url, headers: [("Authorization", "Basic dTpw"), ("Lightfield-Version", "2026-03-01")], body: body)
            #expect(basic.status == 401 && basic.header("WWW-Authenticate") == #"Bearer realm="hoist", error="invalid_request""#)
            let noVersion = try await TestHTTP.send(.POST, url, headers: [("Authorization", "Bearer \(ts.key)")], body: body)
            #expect(noVersion.status == 400)
            #expect(noVersion.errorCode == "invalid_version")
            let oldVersion = try await TestHTTP.send(
                .POST, url, headers: [("Authorization", "Bearer \(ts.key)"), ("Lightfield-Version", "2025-01-01")], body: body)
            #expect(oldVersion.status == 400)
            #expect(oldVersion.errorCode == "invalid_version")
        }
    }

    @Test("scopes: files:create for create/complete/cancel, files:read for the GETs, checked before lookups")
    func scopes() async throws {
        try await TestServer.with { ts in
            let reader = LightfieldCalls(baseURL: ts.baseURL, key: try await ts.makeKey(scopes: ["files:read"]))
            let writer = LightfieldCalls(baseURL: ts.baseURL, key: try await ts.makeKey(scopes: ["files:create"]))
            let create = try await reader.create(sizeBytes: 1)
            #expect(create.status == 403)
            #expect(create.errorCode == "missing_scope")
            // A file that does not exist still answers 403, not 404: the scope comes first.
            #expect(try await reader.complete("fil_missing").status == 403)
            #expect(try await reader.cancel("fil_missing").status == 403)
            #expect(try await writer.metadata("fil_missing").status == 403)
            #expect(try await writer.downloadURL("fil_missing").status == 403)
            #expect(try await writer.list().status == 403)
            #expect(try await writer.create(sizeBytes: 1).status == 200)
        }
    }

    @Test("a mimeType that is not type/subtype of HTTP tokens (CR, LF, NUL, spaces, no slash) → 400 at create; parameters are dropped")
    func mimeTypeSyntax() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            for bad in ["text/plain\r\nx-injected: 1", "text/plain\nx: 1", "text/pl\u{0}ain", "text/\u{0B}plain", "text plain",
                        "textplain", "text/", "/plain", "text/plain/x", "tëxt/plain", "\"text/plain\""] {
                let created = try await lf.create(purpose: "general", filename: "a.txt", mimeType: bad, sizeBytes: 1)
                #expect(created.status == 400, "\(bad.debugDescription)")
                #expect(created.errorCode == "invalid_request", "\(bad.debugDescription)")
            }
            for good in ["application/vnd.ms-excel", "text/plain; charset=utf-8", "Image/PNG", "application/x-tar+gzip"] {
                let created = try await lf.create(purpose: "general", filename: "a.txt", mimeType: good, sizeBytes: 1)
                #expect(created.status == 200, "\(good)")
                let headers = try #require(created.json["uploadHeaders"] as? [String: Any])
                #expect(headers["content-type"] as? String == good.split(separator: ";")[0].lowercased())
            }
        }
    }

    @Test("purposes: unknown → 400, MIME not allowed → 415, over the limit → 413, size ≤ 0 or missing fields → 400")
    func createValidation() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let unknown = try await lf.create(purpose: "photos", sizeBytes: 1)
            #expect(unknown.status == 400)
            #expect(unknown.errorCode == "invalid_purpose")
            let mime = try await lf.create(purpose: "meeting_transcript", filename: "a.png", mimeType: "image/png", sizeBytes: 1)
            #expect(mime.status == 415)
            #expect(mime.errorCode == "unsupported_media_type")
            #expect(try await lf.create(purpose: "meeting_transcript", filename: "a.vtt", mimeType: "text/vtt", sizeBytes: 1).status == 200)
            let big = try await lf.create(purpose: "meeting_transcript", sizeBytes: 50 * 1024 * 1024 + 1)
            #expect(big.status == 413)
            #expect(big.errorCode == "file_too_large")
            #expect(try await lf.create(purpose: "meeting_transcript", sizeBytes: 50 * 1024 * 1024).status == 200)
            #expect(try await lf.create(purpose: "knowledge_user", filename: "a.md", mimeType: "text/markdown",
                                        sizeBytes: 100 * 1024 * 1024 + 1).status == 413)
            #expect(try await lf.create(purpose: "general", filename: "v.mp4", mimeType: "video/mp4", sizeBytes: 4 << 30).status == 200)
            #expect(try await lf.create(purpose: "general", filename: "v.mp4", mimeType: "video/mp4", sizeBytes: (5 << 30) + 1).status == 413)
            let zero = try await lf.create(sizeBytes: 0)
            #expect(zero.status == 400)
            #expect(zero.errorCode == "invalid_request")
            #expect(try await lf.create(sizeBytes: -5).status == 400)
            let url = "\(ts.baseURL)/v1/files"
            let missing = try await TestHTTP.send(.POST, url, headers: TestHTTP.lightfield(ts.key),
                                                  body: TestHTTP.json(["purpose": "general", "filename": "a.txt"]))
            #expect(missing.status == 400)
            #expect(missing.errorCode == "invalid_request")
            let fractional = try await TestHTTP.send(.POST, url, headers: TestHTTP.lightfield(ts.key), body: TestHTTP.json([
                "purpose": "general", "filename": "a.txt", "mimeType": "text/plain", "sizeBytes": 2.5,
            ]))
            #expect(fractional.status == 400)
            let notJSON = try await TestHTTP.send(.POST, url, headers: TestHTTP.lightfield(ts.key), body: Data("hello".utf8))
            #expect(notJSON.status == 400)
        }
    }

    @Test("unsafe names → 400 invalid_filename; nothing lands outside the data directory",
          arguments: ["../etc/passwd", "a/b.txt", "..", ".", "", "bad\u{0}name.txt", "tab\tname.txt", "back\\slash.txt",
                      String(repeating: "x", count: 256)])
    func unsafeNames(name: String) async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let result = try await lf.create(purpose: "general", filename: name, sizeBytes: 1)
            #expect(result.status == 400)
            #expect(result.errorCode == "invalid_filename")
        }
    }

    @Test("names that are merely unusual are kept as given")
    func unusualNames() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            for name in ["rapport d'été.txt", "日本語 ファイル.txt", "a..b.txt", "#hash?.txt"] {
                let created = try await lf.create(purpose: "general", filename: name, sizeBytes: 1)
                #expect(created.status == 200)
                #expect(created.string("filename") == name)
                #expect(try await lf.put(created, body: Data("x".utf8)).status == 200)
                #expect(try await lf.complete(try #require(created.string("id"))).status == 200)
            }
        }
    }
}
