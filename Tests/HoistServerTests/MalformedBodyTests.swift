import Foundation
import HoistServer
import HoistTestSupport
import Testing

/// Every malformed body gets a 4xx JSON answer in the route's dialect, and the server goes
/// on serving. The first test is the probe that once aborted the process.
@Suite("Malformed bodies against the real server")
struct MalformedBodyTests {
    @Test("curl -d \"filename=my photo.jpg\" (a urlencoded space) is served, not a crash")
    func probe() async throws {
        try await TestServer.with { ts in
            let answer = try await TestHTTP.send(
                .POST, "\(ts.baseURL)/v2/upload",
                headers: [("Authorization", "Bearer \(ts.key)"), ("Content-Type", "application/x-www-form-urlencoded")],
                body: Data("filename=my photo.jpg".utf8))
            #expect(answer.status == 200, "\(answer.text)")
            #expect(answer.string("final_url")?.hasSuffix("/cdn/luwai/100/my%20photo.jpg") == true)
            #expect(try await LuwCalls(baseURL: ts.baseURL, key: ts.key).upload(filename: "after.jpg").status == 200)
        }
    }

    @Test("broken forms on /v2/upload: each a 400 invalid_request in the Luw shape; the server keeps serving")
    func brokenForms() async throws {
        let urlencoded = "application/x-www-form-urlencoded"
        let cases: [(String?, [UInt8])] = [
            (urlencoded, Array("filename=%zz.jpg".utf8)),
            (urlencoded, Array("filename=%E9.jpg".utf8)),
            (urlencoded, Array("filename=a.jpg&filename=b.jpg".utf8)),
            (urlencoded, Array("filename[]=a.jpg".utf8)),
            (urlencoded, Array("filename=caf".utf8) + [0xE9] + Array(".jpg".utf8)),
            ("multipart/form-data", Array("--x\r\n".utf8)),
            ("multipart/form-data; boundary=x", Array("--x\r\nContent-Disposition: form-data; name=\"filename\"\r\n\r\na.jpg".utf8)),
            ("multipart/form-data; boundary=x", Array("no boundary here".utf8)),
            ("application/json", Array(#"{"filename":"a.jpg"}"#.utf8)),
            // Once aborted the process: MultipartKit traps on a non-ASCII header name.
            ("multipart/form-data; boundary=XX", Array("--XX\r\n".utf8) + [0xC3, 0xA8] + Array(": a\r\n\r\nv\r\n--XX--\r\n".utf8)),
            (nil, Array("filename=a.jpg".utf8)),
        ]
        try await TestServer.with { ts in
            for (type, body) in cases {
                var headers = [("Authorization", "Bearer \(ts.key)")]
                if let type { headers.append(("Content-Type", type)) }
                let answer = try await TestHTTP.send(.POST, "\(ts.baseURL)/v2/upload", headers: headers, body: Data(body))
                #expect(answer.status == 400, "\(type ?? "no type"): \(answer.text)")
                #expect(answer.json["status"] as? Bool == false)
                #expect(answer.errorCode == "invalid_request", "\(answer.text)")
            }
            #expect(try await LuwCalls(baseURL: ts.baseURL, key: ts.key).upload(filename: "after.jpg").status == 200)
        }
    }

    @Test("broken JSON on /v1/files and /complete: each a 400 in the Lightfield shape; the server keeps serving")
    func brokenJSON() async throws {
        let bodies = [
            "", "{", "[]", "null", "\"text\"", #"{"purpose":1}"#, #"{"sizeBytes":"3"}"#,
            #"{"purpose":"meeting_transcript","filename":"a.txt","mimeType":"text/plain","sizeBytes":1e400}"#,
            #"{"purpose":"meeting_transcript","filename":"a.txt","mimeType":"text/plain","sizeBytes":-1}"#,
            #"{"purpose":"meeting_transcript","filename":"a.txt","mimeType":"text/plain","sizeBytes":1.5}"#,
            #"{"purpose":["meeting_transcript"],"filename":"a.txt","mimeType":"text/plain","sizeBytes":1}"#,
            String(repeating: "[", count: 100_000),
        ]
        try await TestServer.with { ts in
            for body in bodies {
                let answer = try await TestHTTP.send(.POST, "\(ts.baseURL)/v1/files", headers: TestHTTP.lightfield(ts.key),
                                                     body: Data(body.utf8))
                #expect(answer.status == 400, "\(body.prefix(80)): \(answer.text)")
                #expect(answer.errorCode == "invalid_request", "\(answer.text)")
            }
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let id = try #require(try await lf.create(sizeBytes: 3).string("id"))
            for body in ["{", "[1]", #"{"md5":5}"#, #"{"md5":"xyz"}"#, String(repeating: "{\"a\":", count: 50_000)] {
                let answer = try await TestHTTP.send(.POST, "\(ts.baseURL)/v1/files/\(id)/complete",
                                                     headers: TestHTTP.lightfield(ts.key), body: Data(body.utf8))
                #expect(answer.status == 400, "\(body.prefix(40)): \(answer.text)")
            }
            #expect(try await lf.create(sizeBytes: 3).status == 200)
        }
    }

    @Test("sizeBytes past Int64 is a size over the limit (413 file_too_large, as Int64.max is), not a body that is not JSON; past Int64 below zero is 400",
          arguments: [("9223372036854775807", 413), ("9223372036854775808", 413), ("18446744073709551616", 413), ("99999999999999999999", 413),
                      ("1e19", 413), ("-9223372036854775809", 400)])
    func sizePastInt64(literal: String, status: Int) async throws {
        try await TestServer.with { ts in
            let body = #"{"purpose":"meeting_transcript","filename":"a.txt","mimeType":"text/plain","sizeBytes":\#(literal)}"#
            let answer = try await TestHTTP.send(.POST, "\(ts.baseURL)/v1/files", headers: TestHTTP.lightfield(ts.key), body: Data(body.utf8))
            #expect(answer.status == status, "\(literal): \(answer.text)")
            #expect(answer.errorCode == (status == 413 ? "file_too_large" : "invalid_request"), "\(literal): \(answer.text)")
        }
    }

    @Test("sizeBytes with a fraction → 400, though a Double would round it to an integer; an integer written with a point or an exponent is one",
          arguments: [("4.9999999999999999999", false), ("5.0000000000000000001", false), ("5368709120.0000001", false),
                      ("5.5", false), ("51e-1", false), ("5e-1", false), ("0.00000000000000000005e20", true),
                      ("5.0", true), ("50e-1", true), ("0.5e1", true), ("5.000e0", true), ("5", true), ("500000000000000000000e-20", true)])
    func fractionalSize(literal: String, exact: Bool) async throws {
        try await TestServer.with { ts in
            // The member's name with an escape in it too: it is the same member.
            for spelled in [literal, #"\u0073izeBytes"#] where spelled == literal || literal == "4.9999999999999999999" {
                let name = spelled == literal ? "sizeBytes" : spelled
                let body = #"{"purpose":"meeting_transcript","filename":"a.txt","mimeType":"text/plain","\#(name)":\#(literal)}"#
                let answer = try await TestHTTP.send(.POST, "\(ts.baseURL)/v1/files", headers: TestHTTP.lightfield(ts.key), body: Data(body.utf8))
                // Exactly 5, or not an integer at all (what Foundation made of it is beside the point).
                if exact {
                    #expect(answer.status == 200, "\(literal): \(answer.text)")
                    let id = try #require(answer.string("id"))
                    #expect(try await LightfieldCalls(baseURL: ts.baseURL, key: ts.key).metadata(id).json["sizeBytes"] as? Int == 5)
                } else {
                    #expect(answer.status == 400 && answer.errorCode == "invalid_request", "\(literal): \(answer.text)")
                    #expect(answer.text.contains("integer"), "\(literal): \(answer.text)")
                }
            }
        }
    }

    @Test("a cursor that decodes to the largest integer, and other bad cursors, are 400 or a page, never a crash")
    func hostileCursors() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            _ = try await lf.create(sizeBytes: 3)
            for raw in ["9223372036854775807|fil_x", "-9223372036854775808|fil_x", "1|", "|", "x|y"] {
                let token = Data(raw.utf8).base64EncodedString()
                    .addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                let page = try await lf.list("?cursor=\(token)")
                #expect([200, 400].contains(page.status), "\(raw): \(page.text)")
            }
            let notBase64 = try await lf.list("?cursor=not-base64!")
            #expect(notBase64.status == 400)
            #expect(try await lf.list().status == 200)
        }
    }

    @Test("listing parameters are strict: lower-case status, repeated or out-of-range parameters → 400")
    func strictListing() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            for query in ["?status=pending", "?status=PENDING&status=COMPLETED", "?limit=0", "?limit=1001", "?limit=1&limit=2",
                          "?limit=99999999999999999999", "?status="] {
                let answer = try await lf.list(query)
                #expect(answer.status == 400, "\(query): \(answer.text)")
                #expect(answer.errorCode == "invalid_request")
            }
            #expect(try await lf.list("?status=PENDING&limit=5").status == 200)
        }
    }

    @Test("file names with bidi overrides, zero-width or line-separator characters → 400 invalid_filename in both dialects")
    func formatCharacters() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
            for name in ["invoice\u{202E}fdp.txt", "a\u{200B}b.txt", "x\u{2066}y.txt", "\u{FEFF}bom.txt", "line\u{2028}two.txt"] {
                let created = try await lf.create(filename: name, sizeBytes: 3)
                #expect(created.status == 400, "\(name.unicodeScalars.map { String($0.value, radix: 16) })")
                #expect(created.errorCode == "invalid_filename")
                let jpg = name.replacingOccurrences(of: ".txt", with: ".jpg")
                let uploaded = try await luw.upload(filename: jpg)
                #expect(uploaded.status == 400)
                #expect(uploaded.errorCode == "invalid_filename")
            }
            #expect(try await lf.create(filename: "café ünïcode.txt", sizeBytes: 3).status == 200)
        }
    }
}
