import Foundation
import HoistServer
import HoistTestSupport
import Testing

@Suite("Luw dialect")
struct LuwTests {
    @Test("upload → PUT → final URL serves at once → finalize (idempotent)")
    func lifecycle() async throws {
        try await TestServer.with { ts in
            let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await luw.upload(filename: "image.jpg")
            #expect(created.status == 200)
            #expect(created.json["status"] as? Bool == true)
            let finalURL = try #require(created.string("final_url"))
            #expect(finalURL == "\(ts.baseURL)/cdn/luwai/100/image.jpg")
            let signed = try #require(created.string("signed_url"))
            #expect(try await luw.finalize(finalURL).errorCode == "upload_missing")

            let bytes = Data((0..<1000).map { UInt8($0 % 251) })
            let put = try await luw.put(signed, body: bytes)
            #expect(put.status == 200)
            let served = try await TestHTTP.send(.GET, finalURL)
            #expect(served.status == 200)
            #expect(served.body == bytes)
            #expect(served.header("Content-Type") == "image/jpeg")
            #expect(served.header("Cache-Control") == "max-age=315360000")
            #expect(served.header("Expires") == "Sun, 19 Jul 2030 18:06:32 GMT")

            let finalized = try await luw.finalize(finalURL)
            #expect(finalized.status == 200)
            #expect(finalized.json["status"] as? Bool == true)
            #expect(try await luw.finalize(finalURL).status == 200)
        }
    }

    @Test("pid: given → used; not owned → 403; none → the key's first persona; no persona → 403 no_persona")
    func personas() async throws {
        try await TestServer.with { ts in
            let multi = LuwCalls(baseURL: ts.baseURL, key: try await ts.makeKey(personas: [7, 8]))
            #expect(try await multi.upload(filename: "a.png").string("final_url")?.contains("/luwai/7/a.png") == true)
            #expect(try await multi.upload(filename: "a.png", pid: "8").string("final_url")?.contains("/luwai/8/a.png") == true)
            let foreign = try await multi.upload(filename: "a.png", pid: "100")
            #expect(foreign.status == 403)
            #expect(foreign.json["status"] as? Bool == false)
            #expect(foreign.errorCode == "forbidden")
            #expect(try await multi.upload(filename: "a.png", pid: "abc").status == 400)
            let none = LuwCalls(baseURL: ts.baseURL, key: try await ts.makeKey())
            let denied = try await none.upload(filename: "a.png")
            #expect(denied.status == 403)
            #expect(denied.errorCode == "no_persona")
            #expect(try await none.finalize("\(ts.baseURL)/cdn/luwai/7/a.png").errorCode == "no_persona")
        }
    }

    @Test("supported types by extension, case-insensitive; anything else → 400 unsupported_type",
          arguments: ["a.jpg", "B.JPEG", "c.png", "d.webp", "e.gif", "f.svg", "g.tif", "h.TIFF", "i.mp4", "j.glb", "k.gltf", "l.fbx"])
    func supported(name: String) async throws {
        try await TestServer.with { ts async throws in
            #expect(try await LuwCalls(baseURL: ts.baseURL, key: ts.key).upload(filename: name).status == 200)
        }
    }

    @Test("unsupported types, missing filename, unsafe names, bad keys and scopes")
    func errors() async throws {
        try await TestServer.with { ts in
            let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
            for name in ["notes.txt", "archive.zip", "noextension", "image.jpg.exe"] {
                let result = try await luw.upload(filename: name)
                #expect(result.status == 400)
                #expect(result.errorCode == "unsupported_type")
                #expect(result.json["status"] as? Bool == false)
                #expect(result.string("message") != nil)
            }
            #expect(try await luw.upload(filename: "").errorCode == "invalid_request")
            #expect(try await luw.upload(filename: "../x.jpg").errorCode == "invalid_filename")
            let anonymous = try await LuwCalls(baseURL: ts.baseURL, key: "nope").upload(filename: "a.jpg")
            #expect(anonymous.status == 401)
            #expect(anonymous.errorCode == "unauthorized")
            #expect(anonymous.header("WWW-Authenticate") == #"Bearer realm="hoist", error="invalid_token""#)
            let reader = LuwCalls(baseURL: ts.baseURL, key: try await ts.makeKey(scopes: ["files:read"], personas: [5]))
            #expect(try await reader.upload(filename: "a.jpg").status == 403)
            #expect(try await luw.finalize("\(ts.baseURL)/cdn/luwai/100/never.jpg").status == 404)
            #expect(try await luw.finalize("not a url").status == 400)
            #expect(try await TestHTTP.send(.GET, "\(ts.baseURL)/cdn/luwai/100/never.jpg").status == 404)
        }
    }

    @Test("an empty Content-Type is stored as the type the extension implies")
    func impliedType() async throws {
        try await TestServer.with { ts in
            let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await luw.upload(filename: "model.glb")
            #expect(try await luw.put(try #require(created.string("signed_url")), body: Data("glTF".utf8), contentType: nil).status == 200)
            let final = try #require(created.string("final_url"))
            if TestBackend.bytesGoToS3 {
                // The bucket answers with the type its presigned GET names (S3 honours
                // response-content-type; moto before 5.2.5 ignores it).
                let redirect = try await TestHTTP.send(.GET, final, followingRedirects: false)
                let location = URLComponents(string: redirect.header("Location") ?? "")
                #expect(location?.queryItems?.first { $0.name == "response-content-type" }?.value == "model/gltf-binary")
            } else {
                let served = try await TestHTTP.send(.GET, final)
                #expect(served.header("Content-Type") == "model/gltf-binary")
            }
        }
    }

    @Test("the same name for the same persona replaces the object at the PUT; the final URL stays")
    func replacement() async throws {
        try await TestServer.with { ts in
            let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
            let first = try await luw.upload(filename: "same.png")
            _ = try await luw.put(try #require(first.string("signed_url")), body: Data("one".utf8), contentType: "image/png")
            _ = try await luw.finalize(try #require(first.string("final_url")))
            let second = try await luw.upload(filename: "same.png")
            #expect(second.string("final_url") == first.string("final_url"))
            _ = try await luw.put(try #require(second.string("signed_url")), body: Data("two".utf8), contentType: "image/png")
            #expect(try await TestHTTP.send(.GET, try #require(first.string("final_url"))).text == "two")
            #expect(try await ts.storedBlobCount() == 1)
        }
    }

    @Test("sweeper: x12tmp- files go 12 h after their PUT, unfinalized ones after 24 h, finalized ones stay")
    func retention() async throws {
        let clock = ManualClock()
        try await TestServer.with(sessionTTL: 3600, clock: clock) { ts in
            let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
            func store(_ name: String, finalize: Bool) async throws -> String {
                let created = try await luw.upload(filename: name)
                _ = try await luw.put(try #require(created.string("signed_url")), body: Data(name.utf8))
                let url = try #require(created.string("final_url"))
                if finalize { #expect(try await luw.finalize(url).status == 200) }
                return url
            }
            let temporary = try await store("x12tmp-shot.jpg", finalize: true)
            let kept = try await store("keep.jpg", finalize: true)
            let forgotten = try await store("forgot.jpg", finalize: false)

            clock.advance(by: 12 * 3600 - 1)
            try await ts.server.sweep()
            #expect(try await TestHTTP.send(.GET, temporary).status == 200)
            clock.advance(by: 2)
            try await ts.server.sweep()
            #expect(try await TestHTTP.send(.GET, temporary).status == 404)
            #expect(try await TestHTTP.send(.GET, forgotten).status == 200)
            clock.advance(by: 12 * 3600)
            try await ts.server.sweep()
            #expect(try await TestHTTP.send(.GET, forgotten).status == 404)
            clock.advance(by: 30 * 24 * 3600)
            try await ts.server.sweep()
            #expect(try await TestHTTP.send(.GET, kept).text == "keep.jpg")
            #expect(try await ts.storedBlobCount() == 1)
        }
    }

    @Test("storage errors of a Luw URL come in the Luw shape; an expired URL → 403", .diskBlobsOnly)
    func storageErrors() async throws {
        let clock = ManualClock()
        try await TestServer.with(sessionTTL: 60, clock: clock) { ts in
            let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
            let signed = try #require(try await luw.upload(filename: "a.jpg").string("signed_url"))
            let tampered = try await luw.put(signed.replacingOccurrences(of: "sig=", with: "sig=f"), body: Data("x".utf8))
            #expect(tampered.status == 403)
            #expect(tampered.json["status"] as? Bool == false)
            #expect(tampered.errorCode == "signature_mismatch")
            clock.advance(by: 61)
            let expired = try await luw.put(signed, body: Data("x".utf8))
            #expect(expired.status == 403)
            #expect(expired.errorCode == "expired")
        }
    }
}
