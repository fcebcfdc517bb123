import Foundation
import struct HoistTestSupport.TestServer
import enum HoistTestSupport.TestHTTP
import Testing

@testable import hoist_bench

@Suite("hoist-bench: the server's time per request, from /metrics")
struct ServerRequestTimeTests {
    @Test("sums the histogram's _sum and _count over routes, leaving out /metrics and every other sample")
    func parsesAnExposition() {
        let text = """
            # TYPE hoist_request_duration_seconds histogram
            hoist_request_duration_seconds_bucket{route="/v1/files",method="POST",status="200",le="0.00025"} 1
            hoist_request_duration_seconds_bucket{route="/v1/files",method="POST",status="200",le="+Inf"} 4
            hoist_request_duration_seconds_sum{route="/v1/files",method="POST",status="200"} 0.004
            hoist_request_duration_seconds_count{route="/v1/files",method="POST",status="200"} 4
            hoist_request_duration_seconds_sum{route="/storage/{id}/{name}",method="PUT",status="200"} 0.5
            hoist_request_duration_seconds_count{route="/storage/{id}/{name}",method="PUT",status="200"} 2
            hoist_request_duration_seconds_sum{route="/metrics",method="GET",status="200"} 9
            hoist_request_duration_seconds_count{route="/metrics",method="GET",status="200"} 7
            hoist_put_duration_seconds_sum{status="200"} 100
            hoist_put_duration_seconds_count{status="200"} 100
            hoist_request_duration_seconds_count{route="/x",method="GET",status="500"} not-a-number
            """
        let time = ServerRequestTime.parse(text)
        #expect(time.requests == 6)
        #expect(abs(time.seconds - 0.504) < 1e-9)
        #expect(time.mean.map { abs($0.seconds - 0.084) < 1e-9 } == true)
        #expect(ServerRequestTime.parse("").mean == nil)
    }

    @Test("read from a real server before and after three requests, the difference is those three")
    func readsARealServer() async throws {
        try await TestServer.with { ts in
            let before = ServerRequestTime.parse(try await TestHTTP.send(.GET, "\(ts.baseURL)/metrics").text)
            for _ in 0..<3 { _ = try await TestHTTP.send(.GET, "\(ts.baseURL)/nowhere") }
            let after = ServerRequestTime.parse(try await TestHTTP.send(.GET, "\(ts.baseURL)/metrics").text)
            let run = after - before
            #expect(run.requests == 3, "the scrapes' own requests must not count: \(before) → \(after)")
            #expect(run.seconds > 0 && run.seconds < 30)
        }
    }

    @Test("time per call: hoist's time spread over its jobs and the three calls of each file")
    func timePerCall() {
        let result = SmallFilesBench.Result(files: 2000, hoist: .seconds(15), curl: .seconds(40), hoistPeakRSS: 0,
                                            hoistCPU: .zero, curlCPU: .zero)
        // 16 jobs: each did 125 files, 375 calls, in 15 s.
        #expect(abs(result.timePerCall(jobs: 16).seconds - 0.04) < 1e-9)
    }
}
