import Foundation
import HoistTestSupport
import Testing

/// `Range` on downloads (RFC 9110 §14): one byte range is served 206, so a cut-off download
/// goes on where it stopped; what the server does not serve as a range gets the whole file.
@Suite("range requests")
struct RangeRequestTests {
    @Test("a download GET with one byte range gets 206 with Content-Range and those bytes, from a kept body and from a file on disk (across its read chunks); an empty or past-the-end range gets 416 bytes */size; several ranges, bad syntax or a stale If-Range get the whole file",
          .diskBlobsOnly, arguments: [10, 300_000])
    func rangedDownload(size: Int) async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let body = Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 7) })
            let id = try #require(try await lf.upload(body).string("id"))
            let url = try #require(try await lf.downloadURL(id).string("url"))
            let etag = "\"\(MD5Hex.of(body))\""
            let n = size
            let whole = try await TestHTTP.send(.GET, url)
            #expect(whole.status == 200 && whole.body == body && whole.header("Accept-Ranges") == "bytes")

            let parts: [(String, Range<Int>)] = [
                ("bytes=2-5", 2..<6), ("bytes=7-", 7..<n), ("bytes=-3", (n - 3)..<n), ("bytes=5-99999999", 5..<n),
                ("bytes=0-0", 0..<1), ("bytes=-99999999", 0..<n), ("BYTES=1-2", 1..<3),
                ("bytes=-99999999999999999999", 0..<n), ("bytes=0-0,", 0..<1), ("bytes= , 3-4 ,", 3..<5),
            ] + (n > 200_000 ? [("bytes=131000-140000", 131_000..<140_001)] : [])
            for (range, bytes) in parts {
                let answer = try await TestHTTP.send(.GET, url, headers: [("Range", range)])
                #expect(answer.status == 206, "\(range): \(answer.status)")
                #expect(answer.body == body.subdata(in: bytes), "\(range)")
                #expect(answer.header("Content-Range") == "bytes \(bytes.lowerBound)-\(bytes.upperBound - 1)/\(n)", "\(range)")
                #expect(answer.header("Content-Length") == String(bytes.count) && answer.header("ETag") == etag, "\(range)")
            }
            for refused in ["bytes=\(n)-", "bytes=\(n + 5)-\(n + 9)", "bytes=-0", "bytes=99999999999999999999-"] {
                let answer = try await TestHTTP.send(.GET, url, headers: [("Range", refused)])
                #expect(answer.status == 416 && answer.header("Content-Range") == "bytes */\(n)", "\(refused): \(answer.status)")
                #expect(answer.errorCode == "range_not_satisfiable", "\(refused): \(answer.text)")
            }
            for ignored in ["bytes=0-1,4-5", "bytes=abc", "items=0-1", "bytes=5-2", "bytes=-", "bytes= 1 - 2x"] {
                let answer = try await TestHTTP.send(.GET, url, headers: [("Range", ignored)])
                #expect(answer.status == 200 && answer.body == body, "\(ignored): \(answer.status)")
            }
            #expect(try await TestHTTP.send(.GET, url, headers: [("Range", "bytes=1-2"), ("If-Range", etag)]).status == 206)
            let stale = try await TestHTTP.send(.GET, url, headers: [("Range", "bytes=1-2"), ("If-Range", "\"0123\"")])
            #expect(stale.status == 200 && stale.body == body)
        }
    }

    @Test("a Luw final URL served from disk takes a range too, with the freshness its PUT gave", .diskBlobsOnly)
    func rangedFinalURL() async throws {
        try await TestServer.with { ts in
            let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await luw.upload(filename: "r.png")
            let png = Data("0123456789 png bytes".utf8)
            #expect(try await luw.put(try #require(created.string("signed_url")), body: png, contentType: "image/png").status == 200)
            let final = try #require(created.string("final_url"))
            #expect(try await luw.finalize(final).status == 200)
            let answer = try await TestHTTP.send(.GET, final, headers: [("Range", "bytes=11-")])
            #expect(answer.status == 206 && answer.body == png.subdata(in: 11..<png.count), "\(answer.status)")
            #expect(answer.header("Content-Range") == "bytes 11-19/20" && answer.header("Cache-Control") == "max-age=315360000")
            let refused = try await TestHTTP.send(.GET, final, headers: [("Range", "bytes=20-")])
            #expect(refused.status == 416 && refused.json["status"] as? Bool == false, "\(refused.text)")
        }
    }
}
