import Foundation
import HoistServer
import HoistTestSupport
import Testing

@Suite("Prometheus metrics")
struct MetricsTests {
    /// The value of the sample `name{labels}` in an exposition, if present.
    private func sample(_ text: String, _ prefix: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(prefix) {
            if let value = line.split(separator: " ").last.flatMap({ Double($0) }) { return value }
        }
        return nil
    }

    @Test("GET /metrics counts requests by route and status, bytes received, uploads created, completed and cancelled", .diskBlobsOnly)
    func counts() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            _ = try await lf.upload(Data("hello".utf8))
            let cancelled = try #require(try await lf.create(sizeBytes: 3).string("id"))
            _ = try await lf.cancel(cancelled)
            _ = try await TestHTTP.send(.GET, "\(ts.baseURL)/nowhere")
            let scrape = try await TestHTTP.send(.GET, "\(ts.baseURL)/metrics")
            #expect(scrape.status == 200)
            #expect(scrape.header("Content-Type")?.hasPrefix("text/plain") == true)
            let text = scrape.text
            #expect(sample(text, #"hoist_uploads_created_total{dialect="lightfield"}"#) == 2, "\(text)")
            #expect(sample(text, #"hoist_uploads_completed_total{dialect="lightfield"}"#) == 1)
            #expect(sample(text, #"hoist_uploads_cancelled_total{dialect="lightfield"}"#) == 1)
            #expect(sample(text, #"hoist_uploads_expired_total{dialect="luw"}"#) == 0)
            #expect(sample(text, "hoist_bytes_received_total") == 5)
            #expect(text.contains(#"hoist_requests_total{route="/v1/files",method="POST",status="200"} 2"#), "\(text)")
            #expect(text.contains(#"route="NotFound",method="GET",status="404""#))
            #expect(text.contains("hoist_put_duration_seconds_bucket"))
            #expect(text.contains("hoist_connections_open"))
        }
    }

    @Test("a PUT refused on its head with Expect: 100-continue (bad signature, too large) is counted as any refused request is", .diskBlobsOnly)
    func expectRefusalsAreCounted() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await lf.create(sizeBytes: 5)
            let path = String(try #require(created.string("uploadUrl")).dropFirst(ts.baseURL.count))
            // Both judged from the URL alone, on any store: a signature that does not match,
            // and a Luw PUT over the general limit.
            let luw = try await LuwCalls(baseURL: ts.baseURL, key: ts.key).upload(filename: "big.jpg")
            let luwPath = String(try #require(luw.string("signed_url")).dropFirst(ts.baseURL.count))
            var statuses: [String] = []
            for (target, length) in [(path.replacingOccurrences(of: "sig=", with: "sig=0"), 5), (luwPath, (5 << 30) + 1)] {
                let connection = try RawConnection(port: ts.server.port)
                connection.send("PUT \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\n"
                    + "Cache-Control: max-age=315360000\r\nExpires: Sun, 19 Jul 2030 18:06:32 GMT\r\n"
                    + "Content-Length: \(length)\r\nExpect: 100-continue\r\n\r\n")
                let (text, _) = await connection.readUntilClosed(timeout: 30)
                #expect(text.hasPrefix("HTTP/1.1 4") && !text.contains("100 Continue"), "\(text)")
                statuses.append(String(text.dropFirst("HTTP/1.1 ".count).prefix(3)))
            }
            #expect(statuses == ["403", "413"], "\(statuses)")
            let text = try await TestHTTP.send(.GET, "\(ts.baseURL)/metrics").text
            for status in Set(statuses) {
                let count = Double(statuses.count { $0 == status })
                #expect(sample(text, #"hoist_requests_total{route="/storage/{id}/{name}",method="PUT",status="\#(status)"}"#) == count, "\(text)")
                #expect(sample(text, #"hoist_put_duration_seconds_count{status="\#(status)"}"#) == count, "\(text)")
            }
        }
    }

    @Test("hoist_uploads_expired_total counts every expiry once it is committed: found by a read, a complete or a listing, or by the sweeper; a cancel refused after its expiry counts nothing")
    func expiriesEverywhere() async throws {
        let clock = ManualClock()
        try await TestServer.with(sessionTTL: 60, clock: clock) { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            var ids: [String] = []
            for _ in 0..<4 { ids.append(try #require(try await lf.create(sizeBytes: 3).string("id"))) }
            clock.advance(by: 61)
            func expired() async throws -> Double? {
                sample(try await TestHTTP.send(.GET, "\(ts.baseURL)/metrics").text, #"hoist_uploads_expired_total{dialect="lightfield"}"#)
            }
            #expect(try await expired() == 0)
            #expect(try await lf.metadata(ids[0]).string("status") == "EXPIRED")
            #expect(try await expired() == 1)
            #expect(try await lf.metadata(ids[0]).string("status") == "EXPIRED")
            #expect(try await expired() == 1, "read again: already expired, not counted twice")
            #expect(try await lf.complete(ids[1]).errorCode == "expired")
            #expect(try await expired() == 2)
            let refused = try await lf.cancel(ids[2])
            #expect(refused.status == 409 && refused.errorCode == "not_pending")
            #expect(try await expired() == 3, "the cancel's lookup expired it; its refusal counts nothing more")
            let listed = try #require(try await lf.list().json["data"] as? [[String: Any]])
            #expect(listed.count == 4 && listed.allSatisfy { $0["status"] as? String == "EXPIRED" })
            #expect(try await expired() == 4, "the listing expired the last one")
            try await ts.server.sweep()
            #expect(try await expired() == 4, "nothing left for the sweeper")
            _ = try await lf.create(sizeBytes: 3)
            clock.advance(by: 61)
            try await ts.server.sweep()
            #expect(try await expired() == 5)
        }
    }

    @Test("hoist_request_duration_seconds times every request by route, method and status, from a quarter millisecond up", .diskBlobsOnly)
    func requestDurations() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            _ = try await lf.upload(Data("hello".utf8))
            _ = try await lf.create(sizeBytes: 3)
            _ = try await TestHTTP.send(.GET, "\(ts.baseURL)/nowhere")
            let text = try await TestHTTP.send(.GET, "\(ts.baseURL)/metrics").text
            let created = #"{route="/v1/files",method="POST",status="200"}"#
            #expect(sample(text, "hoist_request_duration_seconds_count" + created) == 2, "\(text)")
            let seconds = try #require(sample(text, "hoist_request_duration_seconds_sum" + created), "\(text)")
            // Two creates on loopback: more than nothing, less than the whole test.
            #expect(seconds > 0 && seconds < 60)
            let labels = #"route="/v1/files",method="POST",status="200","#
            let buckets = text.split(separator: "\n").filter { $0.hasPrefix("hoist_request_duration_seconds_bucket{" + labels) }
            #expect(buckets.count == 17, "16 bounds and +Inf: \(buckets)")
            #expect(buckets.first?.contains(#"le="0.00025""#) == true, "\(buckets)")
            #expect(buckets.last.flatMap { $0.split(separator: " ").last } == "2")
            #expect(sample(text, #"hoist_request_duration_seconds_count{route="NotFound",method="GET",status="404"}"#) == 1)
        }
    }

    @Test("a PUT its client abandons mid-body (reset, half-close, a broken chunk) is timed with the 400 it got, never as a 500",
          .diskBlobsOnly)
    func abandonedPuts() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let endings: [(head: String, body: String, halfClose: Bool)] = [
                ("Content-Length: 100000", "abc", false),  // reset: closed with data unsent
                ("Content-Length: 100000", "abc", true),  // half-close: EOF mid-body
                ("Transfer-Encoding: chunked", "3\r\nabc\r\nzz\r\n", false),  // a chunk size that is not hex
            ]
            for ending in endings {
                let created = try await lf.create(purpose: "general", filename: "gone.bin", sizeBytes: 100_000)
                let path = String(try #require(created.string("uploadUrl")).dropFirst(ts.baseURL.count))
                let connection = try RawConnection(port: ts.server.port)
                connection.send("PUT \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: text/plain\r\n\(ending.head)\r\n\r\n\(ending.body)")
                if ending.halfClose { connection.shutdownWrite() }
                if ending.head.hasPrefix("Transfer") { _ = await connection.readUntilClosed(timeout: 30) } else { connection.close() }
            }
            var text = ""
            let counted = await waitUntil {
                text = (try? await TestHTTP.send(.GET, "\(ts.baseURL)/metrics").text) ?? ""
                return sample(text, #"hoist_put_duration_seconds_count{status="400"}"#) == 3
            }
            #expect(counted, "\(text)")
            #expect(!text.contains(#"hoist_put_duration_seconds_count{status="500"}"#), "\(text)")
            #expect(sample(text, #"hoist_requests_total{route="/storage/{id}/{name}",method="PUT",status="400"}"#) == 3, "\(text)")
        }
    }

    @Test("with a metrics port, /metrics is served there and not on the API's port")
    func separatePort() async throws {
        try await TestServer.with(configure: { $0.metricsPort = 0 }) { ts in
            let port = try #require(ts.server.metricsPort)
            #expect(port != ts.server.port)
            #expect(try await TestHTTP.send(.GET, "http://127.0.0.1:\(port)/metrics").status == 200)
            #expect(try await TestHTTP.send(.GET, "\(ts.baseURL)/metrics").status == 404)
        }
    }
}
