import Foundation
import HoistServer
import HoistTestSupport
import NIOHTTP1
import Testing

/// `Host` is checked and never reflected; every route answers inside the contract.
@Suite("Host, unknown routes and wrong methods")
struct HostAndRouteTests {
    private func port(_ ts: TestServer) -> Int { ts.server.port }

    @Test("Host: evil.example never appears in a signed or final URL: they are built from the bound address")
    func evilHost() async throws {
        try await TestServer.with { ts in
            let create = "{\"purpose\":\"meeting_transcript\",\"filename\":\"a.txt\",\"mimeType\":\"text/plain\",\"sizeBytes\":3}"
            let connection = try RawConnection(port: port(ts))
            connection.send("POST /v1/files HTTP/1.1\r\nHost: evil.example\r\nAuthorization: Bearer \(ts.key)\r\n"
                + "Lightfield-Version: 2026-03-01\r\nContent-Type: application/json\r\nContent-Length: \(create.utf8.count)\r\n\r\n\(create)")
            let answer = await connection.readResponse()
            #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
            #expect(!answer.contains("evil.example"))
            #expect(answer.contains("\"uploadUrl\":\"\(ts.uploadURLPrefix)"), "\(answer)")

            let form = "filename=a.jpg"
            let luw = try RawConnection(port: port(ts))
            luw.send("POST /v2/upload HTTP/1.1\r\nHost: evil.example:666\r\nAuthorization: Bearer \(ts.key)\r\n"
                + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(form.utf8.count)\r\n\r\n\(form)")
            let luwAnswer = await luw.readResponse()
            #expect(luwAnswer.hasPrefix("HTTP/1.1 200"), "\(luwAnswer)")
            #expect(!luwAnswer.contains("evil.example"))
            #expect(luwAnswer.contains("\"final_url\":\"\(ts.baseURL)/cdn/luwai/100/a.jpg\""), "\(luwAnswer)")
        }
    }

    @Test("--public-url is the base of every URL handed out")
    func publicURL() async throws {
        try await TestServer.with(configure: { $0.publicBaseURL = "https://uploads.example.com" }) { ts in
            let created = try await LightfieldCalls(baseURL: "http://127.0.0.1:\(ts.server.port)", key: ts.key).create(sizeBytes: 3)
            // With an S3 blob store the upload URL is the bucket's; the final and download
            // URLs of the API are still built on --public-url.
            let expected = TestBackend.bytesGoToS3 ? ts.uploadURLPrefix : "https://uploads.example.com/storage/"
            #expect(created.string("uploadUrl")?.hasPrefix(expected) == true)
        }
    }

    @Test("no Host, two Hosts, or a Host that is not host[:port] → 400 JSON, and the connection still serves the API")
    func badHosts() async throws {
        try await TestServer.with { ts in
            let heads = [
                "GET /v1/files HTTP/1.1\r\n",
                "GET /v1/files HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n",
                "GET /v1/files HTTP/1.1\r\nHost: a.example/path\r\n",
                "GET /v1/files HTTP/1.1\r\nHost: user@a.example\r\n",
                "GET /v1/files HTTP/1.1\r\nHost: a.example:99999\r\n",
                "GET /v2/finalize_upload?url=x HTTP/1.1\r\nHost: \r\n",
            ]
            for head in heads {
                let connection = try RawConnection(port: port(ts))
                connection.send(head + "Authorization: Bearer \(ts.key)\r\nLightfield-Version: 2026-03-01\r\n\r\n")
                let answer = await connection.readResponse()
                #expect(answer.hasPrefix("HTTP/1.1 400"), "\(head): \(answer)")
                #expect(answer.contains("invalid_request"), "\(answer)")
                #expect(answer.lowercased().contains("content-type: application/json"))
            }
            #expect(try await LightfieldCalls(baseURL: ts.baseURL, key: ts.key).list().status == 200)
        }
    }

    @Test("unknown routes → 404 and wrong methods → 405 with Allow, as JSON in the dialect of the path")
    func notFoundAndMethods() async throws {
        try await TestServer.with { ts in
            let base = ts.baseURL
            let auth = [("Authorization", "Bearer \(ts.key)")]
            let missing = try await TestHTTP.send(.GET, "\(base)/nowhere", headers: auth)
            #expect(missing.status == 404)
            #expect(missing.errorCode == "not_found")
            #expect(missing.json["error"] is [String: Any])
            let luwMissing = try await TestHTTP.send(.GET, "\(base)/v2/nothing", headers: auth)
            #expect(luwMissing.status == 404)
            #expect(luwMissing.json["status"] as? Bool == false)
            let cdnMissing = try await TestHTTP.send(.GET, "\(base)/cdn/luwai/1/a/b.jpg")
            #expect(cdnMissing.status == 404)
            #expect(cdnMissing.json["status"] as? Bool == false)

            let cases: [(HTTPMethodName, String, String, Bool)] = [
                (.DELETE, "/v1/files/fil_x", "GET, HEAD, OPTIONS", false),
                (.PUT, "/v1/files", "GET, HEAD, OPTIONS, POST", false),
                (.GET, "/v1/files/fil_x/complete", "OPTIONS, POST", false),
                (.GET, "/v2/upload", "OPTIONS, POST", true),
                (.POST, "/v2/finalize_upload", "GET, OPTIONS", true),
                (.DELETE, "/storage/upl_x/a.jpg", "GET, HEAD, OPTIONS, PUT", true),
                (.POST, "/storage/fil_x/a.txt", "GET, HEAD, OPTIONS, PUT", false),
            ]
            for (method, path, allow, luw) in cases {
                let answer = try await TestHTTP.send(method.nio, "\(base)\(path)", headers: auth)
                #expect(answer.status == 405, "\(method) \(path): \(answer.text)")
                #expect(answer.header("Allow") == allow, "\(method) \(path)")
                #expect(answer.errorCode == "method_not_allowed")
                #expect((answer.json["status"] as? Bool == false) == luw, "\(path): \(answer.text)")
                #expect(answer.header("Content-Type") == "application/json")
            }
        }
    }

    @Test("a path with a trailing / or an empty segment names no route: GET, HEAD and OPTIONS all 404 in the path's dialect, where routing alone took /v1/files/ for /v1/files and a final URL spelled so served its file", .diskBlobsOnly)
    func pathsAreTakenAsWritten() async throws {
        try await TestServer.with { ts in
            let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await luw.upload(filename: "g.png")
            let signed = try #require(created.string("signed_url")), final = try #require(created.string("final_url"))
            #expect(try await luw.put(signed, body: Data("hello".utf8), contentType: "image/png").status == 200)
            #expect(try await TestHTTP.send(.GET, final).body == Data("hello".utf8))
            let finalPath = String(final.dropFirst(ts.baseURL.count))
            func answer(_ method: String, _ path: String, auth: Bool) async throws -> String {
                let connection = try RawConnection(port: port(ts))
                connection.send("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                + (auth ? "Authorization: Bearer \(ts.key)\r\nLightfield-Version: 2026-03-01\r\n" : "") + "\r\n")
                return method == "HEAD" ? await connection.readHead() : await connection.readResponse()
            }
            let cases: [(path: String, auth: Bool, luw: Bool)] = [
                ("/v1/files/", true, false), ("//v1/files", true, false), ("/v1//files", true, false),
                (finalPath + "/", false, true), ("/" + finalPath, false, true), (finalPath.replacingOccurrences(of: "/luwai/", with: "//luwai/"), false, true),
            ]
            for (path, auth, isLuw) in cases {
                for method in ["GET", "HEAD", "OPTIONS"] {
                    let text = try await answer(method, path, auth: auth)
                    #expect(text.hasPrefix("HTTP/1.1 404"), "\(method) \(path): \(text)")
                    if method == "GET" {
                        #expect(text.contains("not_found") && text.contains(isLuw ? #""status":false"# : #""error":{"#) && !text.contains("hello"),
                                "\(path): \(text)")
                    }
                }
            }
            // As written, each still answers.
            #expect(try await answer("GET", "/v1/files", auth: true).hasPrefix("HTTP/1.1 200"))
            #expect(try await answer("HEAD", finalPath, auth: false).hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test("a plain OPTIONS (no preflight) → 204 with the path's Allow, OPTIONS among it; on no route → 404; a preflight is still the CORS answer")
    func plainOptions() async throws {
        try await TestServer.with { ts in
            for (path, allow) in [("/v1/files", "GET, HEAD, OPTIONS, POST"), ("/v1/files/fil_x/complete", "OPTIONS, POST"),
                                  ("/storage/fil_x/a.txt", "GET, HEAD, OPTIONS, PUT"), ("/v2/finalize_upload", "GET, OPTIONS")] {
                let answer = try await TestHTTP.send(.OPTIONS, ts.baseURL + path)
                #expect(answer.status == 204 && answer.header("Allow") == allow, "\(path): \(answer.status) \(String(describing: answer.header("Allow")))")
            }
            let nowhere = try await TestHTTP.send(.OPTIONS, ts.baseURL + "/v9/nothing")
            #expect(nowhere.status == 404 && nowhere.errorCode == "not_found", "\(nowhere.text)")
            let preflight = try await TestHTTP.send(.OPTIONS, ts.baseURL + "/v1/files",
                                                    headers: [("Origin", "https://page.example"), ("Access-Control-Request-Method", "POST")])
            #expect(preflight.status == 204 && preflight.header("Access-Control-Allow-Methods") == "GET, HEAD, OPTIONS, POST")
        }
    }

    @Test("every response carries CORS headers, errors and early Expect: 100-continue answers included", .diskBlobsOnly)
    func corsEverywhere() async throws {
        try await TestServer.with { ts in
            let origin = [("Origin", "https://page.example")]
            for url in ["\(ts.baseURL)/nowhere", "\(ts.baseURL)/v1/files", "\(ts.baseURL)/openapi.json"] {
                let answer = try await TestHTTP.send(.GET, url, headers: origin)
                #expect(answer.header("Access-Control-Allow-Origin") == "*", "\(url)")
                #expect(answer.header("Access-Control-Expose-Headers") == "ETag, Content-Range, Accept-Ranges")
            }
            let created = try await LightfieldCalls(baseURL: ts.baseURL, key: ts.key).create(sizeBytes: 3)
            let url = try #require(created.string("uploadUrl"))
            let path = String(url.dropFirst(ts.baseURL.count)).replacingOccurrences(of: "sig=", with: "sig=00")
            let connection = try RawConnection(port: ts.server.port)
            connection.send("PUT \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://page.example\r\ncontent-type: text/plain\r\n"
                + "Content-Length: 3\r\nExpect: 100-continue\r\n\r\n")
            let answer = await connection.readResponse()
            #expect(answer.hasPrefix("HTTP/1.1 403"), "\(answer)")
            #expect(answer.lowercased().contains("access-control-allow-origin: *"), "\(answer)")
        }
    }

    @Test("the routes the server registers, each path's OPTIONS among them, and the operations of openapi.json are the same set; GET /openapi.json serves it")
    func openAPICoversRoutes() async throws {
        try await TestServer.with { ts in
            let served = try await TestHTTP.send(.GET, "\(ts.baseURL)/openapi.json")
            #expect(served.status == 200)
            #expect(served.header("Content-Type") == "application/json")
            #expect((served.json["openapi"] as? String)?.hasPrefix("3.1") == true)
            let paths = try #require(served.json["paths"] as? [String: [String: Any]])
            let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
            let documented = Set(paths.flatMap { path, operations in
                operations.keys.filter(methods.contains).map { "\($0.uppercased()) \(path)" }
            })
            // Every path answers a plain OPTIONS (ContractMiddleware), so each documents one.
            let registered = Set(ts.server.routes).union(ts.server.routes.compactMap {
                $0.split(separator: " ", maxSplits: 1).last.map { "OPTIONS \($0)" }
            })
            #expect(registered.subtracting(documented).isEmpty, "not in openapi.json: \(registered.subtracting(documented).sorted())")
            #expect(documented.subtracting(registered).isEmpty, "not served: \(documented.subtracting(registered).sorted())")
            // What any route may answer: a request bad as HTTP (400), a transfer coding it cannot
            // read (501), a failure it did not foresee (500).
            for (path, operations) in paths {
                for (method, operation) in operations where methods.contains(method) {
                    let statuses = Set(((operation as? [String: Any])?["responses"] as? [String: Any])?.keys.map { $0 } ?? [])
                    #expect(statuses.isSuperset(of: ["400", "500", "501"]), "\(method) \(path): \(statuses.sorted())")
                }
            }
            let file = try Data(contentsOf: URL(fileURLWithPath: #filePath)
                .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("openapi.json"))
            #expect(file == served.body, "the repository's openapi.json and the served one differ")
        }
    }
}

/// Methods by name, for tables of cases.
enum HTTPMethodName: String {
    case GET, PUT, POST, DELETE

    var nio: NIOHTTP1.HTTPMethod { .init(rawValue: rawValue) }
}
