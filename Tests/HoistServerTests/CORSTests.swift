import Foundation
import HoistServer
import HoistTestSupport
import Testing

@Suite("CORS")
struct CORSTests {
    @Test("preflights are answered with the headers browser clients send; responses and errors carry the origin", .diskBlobsOnly)
    func anyOrigin() async throws {
        try await TestServer.with { ts in
            let preflight = try await TestHTTP.send(.OPTIONS, "\(ts.baseURL)/v2/upload", headers: [
                ("Origin", "https://example.test"), ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "authorization"),
            ])
            #expect(preflight.status == 204)
            #expect(preflight.header("Access-Control-Allow-Origin") == "*")
            let allowed = preflight.header("Access-Control-Allow-Headers")?.lowercased() ?? ""
            for name in ["authorization", "content-type", "cache-control", "expires", "lightfield-version", "if-none-match"] {
                #expect(allowed.contains(name))
            }
            #expect(preflight.header("Access-Control-Allow-Methods") == "OPTIONS, POST", "the methods /v2/upload takes")

            let signed = try #require(try await LuwCalls(baseURL: ts.baseURL, key: ts.key).upload(filename: "a.gltf").string("signed_url"))
            let storagePreflight = try await TestHTTP.send(.OPTIONS, signed, headers: [
                ("Origin", "https://example.test"), ("Access-Control-Request-Method", "PUT"),
            ])
            #expect(storagePreflight.status == 204)
            #expect(storagePreflight.header("Access-Control-Allow-Methods") == "GET, HEAD, OPTIONS, PUT")
            let put = try await TestHTTP.send(.PUT, signed, headers: [("Origin", "https://example.test")], body: Data("{}".utf8))
            #expect(put.status == 200)
            #expect(put.header("Access-Control-Allow-Origin") == "*")
            #expect(put.header("Access-Control-Expose-Headers") == "ETag, Content-Range, Accept-Ranges")

            let error = try await TestHTTP.send(.POST, "\(ts.baseURL)/v2/upload", headers: [("Origin", "https://example.test")])
            #expect(error.status == 401)
            #expect(error.header("Access-Control-Allow-Origin") == "*")
        }
    }

    @Test("configured origins: others get no CORS headers")
    func configuredOrigins() async throws {
        try await TestServer.with(configure: { $0.allowedOrigins = ["https://app.test"] }) { ts in
            let url = "\(ts.baseURL)/v1/files"
            let ok = try await TestHTTP.send(.OPTIONS, url, headers: [("Origin", "https://app.test"), ("Access-Control-Request-Method", "POST")])
            #expect(ok.header("Access-Control-Allow-Origin") == "https://app.test")
            let other = try await TestHTTP.send(.OPTIONS, url, headers: [("Origin", "https://evil.test"), ("Access-Control-Request-Method", "POST")])
            #expect(other.header("Access-Control-Allow-Origin") == nil)
            #expect(other.status == 403 && other.errorCode == "forbidden", "\(other.text)")
            #expect(other.header("Content-Type") == "application/json" && other.header("Vary") == "Origin")
            #expect(other.text.contains("evil.test"), "the refusal names the origin: \(other.text)")
            // In the dialect of its path.
            let luw = try await TestHTTP.send(.OPTIONS, "\(ts.baseURL)/v2/upload",
                                              headers: [("Origin", "https://evil.test"), ("Access-Control-Request-Method", "POST")])
            #expect(luw.status == 403 && luw.text.contains("\"error\""), "\(luw.text)")
        }
    }

    @Test("a preflight to a path no route has is 404 as any method there, with the CORS headers; one to a known path lists only the methods that path takes",
          arguments: ["/nope", "/v1/files/", "//v1/files", "/v1/files/fil_x/complete/extra", "/storage/x/y/", "/cdn/luwai/1/a.png/"])
    func preflightsFollowTheRoutes(path: String) async throws {
        try await TestServer.with { ts in
            let answer = try await TestHTTP.send(.OPTIONS, ts.baseURL + path,
                                                 headers: [("Origin", "https://page.test"), ("Access-Control-Request-Method", "GET")])
            #expect(answer.status == 404 && answer.errorCode == "not_found", "\(path): \(answer.status) \(answer.text)")
            #expect(answer.header("Access-Control-Allow-Origin") == "*", "a page can read why")
            #expect(answer.header("Access-Control-Allow-Methods") == nil)
        }
    }

    @Test("a preflight asking for a method its path does not take gets the path's own list, so a browser sends none")
    func preflightsListThePathsMethods() async throws {
        try await TestServer.with { ts in
            let complete = try await TestHTTP.send(.OPTIONS, ts.baseURL + "/v1/files/fil_x/complete",
                                                   headers: [("Origin", "https://page.test"), ("Access-Control-Request-Method", "DELETE")])
            #expect(complete.status == 204 && complete.header("Access-Control-Allow-Methods") == "OPTIONS, POST",
                    "\(String(describing: complete.header("Access-Control-Allow-Methods")))")
        }
    }
}
