import AsyncHTTPClient
import Foundation
import HoistTestSupport
import Testing

@testable import HoistEngine

/// How the s3 dialect reads answers real S3 (and stores like it) give and moto does not:
/// a PUT answered without an MD5, a forgotten upload whose object is not there either, an
/// expired signature, an answer cut off before its XML.
@Suite struct S3StoreAnswerTests {
    /// Uploads `path` through `proxy` (faults armed by the caller) and waits for its end:
    /// the events, and the reasons of its retries.
    private static func upload(_ path: String, s3: S3Harness, via proxy: FaultProxy) async throws -> (events: [EngineEvent], id: JobID, reasons: [String]) {
        let engine = try s3.engine(s3.profile(via: proxy.baseURL))
        let ids = await engine.add(paths: [path])
        let events = try await collect(engine, ids, timeout: .seconds(120))
        // The look for a lost create runs as the job ends, after its `completed` event.
        await engine.shutdown()
        let reasons = events.retries.compactMap { if case .retrying(_, _, let reason) = $0.kind { reason } else { nil } }
        #expect(events.completed(ids[0]) != nil, "\(String(describing: events.terminal(ids[0])))")
        return (events, ids[0], reasons)
    }

    @Test("a single PUT answered without an ETag is checked by the object's HEAD, or when that gives none either by reading the object back: other bytes kept fail the file (422 checksum_mismatch); the right ones complete")
    func aPutAnsweredWithoutAnMD5IsCheckedByItsHead() async throws {
        for (corrupt, headETag) in [(true, true), (true, false), (false, true), (false, false)] {
            try await CarelessStore.with(keep: { data in
                guard corrupt, !data.isEmpty else { return data }
                var kept = data
                kept[0] ^= 0xFF
                return kept
            }, headETag: headETag) { store, endpoint in
                let directory = try TempDirectory.make(prefix: "hoist-careless")
                let path = directory + "/f.bin"
                try Data((0..<50_000).map { UInt8($0 % 251) }).write(to: URL(fileURLWithPath: path))
                var profile = Profile(name: "careless", dialect: .s3, endpoint: endpoint, apiKeyEnv: nil)
                profile.s3 = S3Settings(bucket: "b", region: "us-east-1", pathStyle: true)
                let engine = try UploadEngine(configuration: EngineConfiguration(profile: profile, key: S3Harness.key))
                let ids = await engine.add(paths: [path])
                let events = try await collect(engine, ids)
                if corrupt {
                    guard case .failed(let error)? = events.terminal(ids[0]) else {
                        Issue.record("other bytes kept, yet \(String(describing: events.terminal(ids[0])))")
                        return
                    }
                    #expect(error.status == 422 && error.serverCode == "checksum_mismatch", "\(error)")
                } else {
                    #expect(events.completed(ids[0]) != nil, "\(String(describing: events.terminal(ids[0])))")
                    #expect(store.object("/b/f.bin") == (try Data(contentsOf: URL(fileURLWithPath: path))))
                }
                await engine.shutdown()
            }
        }
    }

    @Test("a complete answered NoSuchUpload whose object is not there either (the upload aborted or expired) starts again from the first part, says so, and completes")
    func aForgottenUploadWithNoObjectStartsAgain() async throws {
        try await S3Harness.with { s3 in
            let path = try s3.file("forgot.bin", size: 20 << 20)
            try await FaultProxy.with(upstream: s3.endpoint) { proxy in
                proxy.inject(.s3Error(status: 404, code: "NoSuchUpload", message: "The specified upload does not exist."),
                             on: "POST /\(s3.bucket)/forgot.bin?uploadId=", times: 1)
                let reasons = try await Self.upload(path, s3: s3, via: proxy).reasons
                #expect(reasons.contains { $0.contains("starting again from the first part") }, "\(reasons)")
                #expect(try await s3.object("forgot.bin") == (try Data(contentsOf: URL(fileURLWithPath: path))))
            }
        }
    }

    @Test("an expired signature (ExpiredToken) on a part, the complete or the create is signed again: one multipart upload, completed, none left open")
    func anExpiredSignatureIsSignedAgain() async throws {
        try await S3Harness.with { s3 in
            let path = try s3.file("token.bin", size: 20 << 20)
            try await FaultProxy.with(upstream: s3.endpoint) { proxy in
                let expired = FaultProxy.Fault.s3Error(status: 400, code: "ExpiredToken", message: "The provided token has expired.")
                proxy.inject(expired, on: "POST /\(s3.bucket)/token.bin?uploads", times: 1)
                proxy.inject(expired, on: "PUT /\(s3.bucket)/token.bin?partNumber=2", times: 1)
                proxy.inject(expired, on: "POST /\(s3.bucket)/token.bin?uploadId=", times: 1)
                let reasons = try await Self.upload(path, s3: s3, via: proxy).reasons
                #expect(reasons.filter { $0.contains("ExpiredToken") }.count == 3, "\(reasons)")
                // One multipart upload made (the refused create made none), nothing left open.
                #expect(proxy.answeredRequests.filter { $0.line.hasPrefix("POST /\(s3.bucket)/token.bin?uploads") }.count == 1)
                #expect(try await s3.openUploads().isEmpty)
                #expect(try await s3.object("token.bin") == (try Data(contentsOf: URL(fileURLWithPath: path))))
            }
        }
    }

    @Test("a 200 whose body is a well-formed HTML page (a proxy's, in the store's place) to the create or the complete is asked again")
    func anHTMLPageInPlaceOfTheAnswerIsAskedAgain() async throws {
        try await S3Harness.with { s3 in
            let path = try s3.file("page.bin", size: 20 << 20)
            try await FaultProxy.with(upstream: s3.endpoint) { proxy in
                let page = FaultProxy.Fault.answer(status: 200, contentType: "text/html", body: "<html><body><p>Please log in</p></body></html>")
                proxy.inject(page, on: "POST /\(s3.bucket)/page.bin?uploads", times: 1)
                proxy.inject(page, on: "POST /\(s3.bucket)/page.bin?uploadId=", times: 1)
                let reasons = try await Self.upload(path, s3: s3, via: proxy).reasons
                #expect(reasons.filter { $0.contains("got <html>") }.count == 2, "\(reasons)")
                #expect(try await s3.openUploads().isEmpty)
                #expect(try await s3.object("page.bin") == (try Data(contentsOf: URL(fileURLWithPath: path))))
            }
        }
    }

    @Test("a complete answered NoSuchUpload whose HEAD is refused 403 (a key without s3:GetObject) starts again, as when nothing is there")
    func aForgottenUploadWithAHeadRefusedStartsAgain() async throws {
        try await S3Harness.with { s3 in
            let path = try s3.file("nohead.bin", size: 20 << 20)
            try await FaultProxy.with(upstream: s3.endpoint) { proxy in
                proxy.inject(.s3Error(status: 404, code: "NoSuchUpload", message: "The specified upload does not exist."),
                             on: "POST /\(s3.bucket)/nohead.bin?uploadId=", times: 1)
                proxy.inject(.status(403), on: "HEAD /\(s3.bucket)/nohead.bin", times: 1)
                let reasons = try await Self.upload(path, s3: s3, via: proxy).reasons
                #expect(reasons.contains { $0.contains("starting again from the first part") }, "\(reasons)")
                #expect(try await s3.object("nohead.bin") == (try Data(contentsOf: URL(fileURLWithPath: path))))
            }
        }
    }

    @Test("a 200 whose body is not XML (an answer cut off) to the create or the complete is asked again, not taken as final")
    func anAnswerThatIsNotXMLIsAskedAgain() async throws {
        try await S3Harness.with { s3 in
            let path = try s3.file("cut.bin", size: 20 << 20)
            try await FaultProxy.with(upstream: s3.endpoint) { proxy in
                proxy.inject(.status(200), on: "POST /\(s3.bucket)/cut.bin?uploads", times: 1)
                proxy.inject(.status(200), on: "POST /\(s3.bucket)/cut.bin?uploadId=", times: 1)
                let reasons = try await Self.upload(path, s3: s3, via: proxy).reasons
                #expect(reasons.filter { $0.contains("not XML") }.count == 2, "\(reasons)")
                #expect(try await s3.openUploads().isEmpty)
                #expect(try await s3.object("cut.bin") == (try Data(contentsOf: URL(fileURLWithPath: path))))
            }
        }
    }

    @Test("a create whose answer was lost (the store made the upload) and a SlowDown to the look for it: the look is asked again, the lost upload aborted, the file completed once")
    func aLostCreateIsLookedForAgainAfterASlowDown() async throws {
        try await S3Harness.with { s3 in
            let path = try s3.file("lost.bin", size: 20 << 20)
            try await FaultProxy.with(upstream: s3.endpoint) { proxy in
                proxy.inject(.loseAnswer, on: "POST /\(s3.bucket)/lost.bin?uploads", times: 1)
                proxy.inject(.s3Error(status: 503, code: "SlowDown", message: "Please reduce your request rate."),
                             on: "?uploads&prefix=", times: 2)
                // S3 dates each upload when it began; moto says 2010 for every one.
                proxy.rewriteAnswers("2010-11-10T20:48:33.000Z", with: S3AnswerTests.iso8601Millis(Date()))
                _ = try await Self.upload(path, s3: s3, via: proxy)
                let lines = proxy.requestLines
                #expect(lines.filter { $0.hasPrefix("POST /\(s3.bucket)/lost.bin?uploads") }.count == 2)
                #expect(lines.filter { $0.hasPrefix("GET ") && $0.contains("uploads") }.count == 3)
                #expect(try await s3.openUploads().isEmpty)
                #expect(try await s3.object("lost.bin") == (try Data(contentsOf: URL(fileURLWithPath: path))))
            }
        }
    }

    @Test("`hoist cancel KEY` (the dialect's cancel by key) asks again after a SlowDown to its listing and to an abort, and aborts every open upload of the key")
    func cancelByKeyAsksAgain() async throws {
        try await S3Harness.with { s3 in
            _ = try await MotoS3.openMultipartUpload(bucket: s3.bucket, key: "two.bin")
            _ = try await MotoS3.openMultipartUpload(bucket: s3.bucket, key: "two.bin")
            try await FaultProxy.with(upstream: s3.endpoint) { proxy in
                let slow = FaultProxy.Fault.s3Error(status: 503, code: "SlowDown", message: "Please reduce your request rate.")
                proxy.inject(slow, on: "?uploads&prefix=", times: 1)
                proxy.inject(slow, on: "DELETE /\(s3.bucket)/two.bin?uploadId=", times: 1)
                let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
                let api = UploadAPI(profile: s3.profile(via: proxy.baseURL), key: S3Harness.key, client: client)
                do {
                    try await api.cancel(id: "two.bin")
                } catch {
                    Issue.record("cancel failed: \(error)")
                }
                try await client.shutdown()
                #expect(proxy.faultsFired == 2)
                #expect(try await s3.openUploads().isEmpty)
            }
        }
    }
}
