import Foundation
import HoistServer
import HoistTestSupport
import Testing

/// Stored content cannot run script on the API's origin.
@Suite("Content served from the API's origin")
struct ContentSafetyTests {
    @Test("a Luw .jpg PUT as text/html is served as an attachment under a sandbox CSP, with nosniff", .diskBlobsOnly)
    func luwHTML() async throws {
        try await TestServer.with { ts in
            let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await luw.upload(filename: "x.jpg")
            let signed = try #require(created.string("signed_url"))
            let final = try #require(created.string("final_url"))
            #expect(try await luw.put(signed, body: Data("<script>alert(1)</script>".utf8), contentType: "Text/HTML; charset=utf-8").status == 200)
            let served = try await TestHTTP.send(.GET, final)
            #expect(served.status == 200)
            #expect(served.header("X-Content-Type-Options") == "nosniff")
            #expect(served.header("Content-Security-Policy") == "sandbox")
            #expect(served.header("Content-Disposition") == "attachment; filename=\"x.jpg\"")
        }
    }

    @Test("SVG, XML and JavaScript download as attachments; an image shows inline, still with nosniff and the sandbox", .diskBlobsOnly)
    func byType() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let cases: [(String, String, Bool)] = [
                ("a.svg", "image/svg+xml", true), ("a.xhtml", "application/xhtml+xml", true), ("a.xml", "text/xml", true),
                ("a.js", "text/javascript", true), ("a.rss", "application/rss+xml", true), ("a.html", "text/html", true),
                ("é ü.html", "text/html", true), ("a.png", "image/png", false), ("a.txt", "text/plain", false),
            ]
            for (name, type, attachment) in cases {
                let done = try await lf.upload(Data("<svg/>".utf8), purpose: "general", filename: name, mimeType: type)
                let id = try #require(done.string("id"), "\(done.text)")
                let url = try #require(try await lf.downloadURL(id).string("url"))
                let served = try await TestHTTP.send(.GET, url)
                #expect(served.status == 200)
                #expect(served.header("X-Content-Type-Options") == "nosniff")
                #expect(served.header("Content-Security-Policy") == "sandbox")
                #expect((served.header("Content-Disposition")?.hasPrefix("attachment") ?? false) == attachment, "\(name)")
            }
            let unicode = try await lf.upload(Data("x".utf8), purpose: "general", filename: "é ü.svg", mimeType: "image/svg+xml")
            let unicodeID = try #require(unicode.string("id"))
            let url = try #require(try await lf.downloadURL(unicodeID).string("url"))
            #expect(try await TestHTTP.send(.GET, url).header("Content-Disposition")
                == "attachment; filename=\"_ _.svg\"; filename*=UTF-8''%C3%A9%20%C3%BC.svg")
        }
    }
}
