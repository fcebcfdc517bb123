import Foundation
import HoistTestSupport
import Testing

@testable import HoistServer

/// API.md: "replaying an old URL can never overwrite a finished file". A Luw URL signs only
/// the host, so it cannot require `if-none-match` as Lightfield's does, and S3 takes any PUT
/// to it until it expires. Finalize therefore moves the bytes to a key no URL names (an S3
/// copy, recorded in the finalize's own transaction) and deletes the session's key.
@Suite struct S3LuwFinalizeTests {
    /// The bucket key of a presigned URL (its path without the bucket).
    static func key(of url: String) throws -> String {
        try #require(URLComponents(string: url)?.path.split(separator: "/").dropFirst().joined(separator: "/"))
    }

    static let png = Data([0x89, 0x50, 0x4E, 0x47]) + Data(repeating: 7, count: 300)

    /// One Luw upload of `png` as `name`, PUT and not yet finalized.
    struct Upload {
        let luw: LuwCalls
        let signed: String
        let final: String
        /// The bucket key its URL PUTs to.
        let uploadKey: String
        /// Its session's id.
        var sessionId: String { String(uploadKey.split(separator: "/").last ?? "") }
    }

    static func upload(_ name: String, to ts: TestServer) async throws -> Upload {
        let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
        let answer = try await luw.upload(filename: name)
        let signed = try #require(answer.string("signed_url"))
        let final = try #require(answer.string("final_url"))
        #expect(try await luw.put(signed, body: png, contentType: "image/png").status == 200)
        return Upload(luw: luw, signed: signed, final: final, uploadKey: try key(of: signed))
    }

    @Test("a finalized Luw upload's URL replayed with other bytes: S3 takes the PUT, yet the final URL and the record keep the finalized bytes, and the replay's bytes go once the URL has expired")
    func replayAfterFinalizeReplacesNothing() async throws {
        let clock = ManualClock(start: Date())
        try await S3BlobStoreTests.withS3Server(clock: clock) { ts, bucket in
            let upload = try await Self.upload("kept.png", to: ts)
            let finalized = try await upload.luw.finalize(upload.final)
            #expect(finalized.status == 200, "\(finalized.text)")

            let object = try #require(try await ts.server.state.store.object(at: "luwai/100/kept.png"))
            let sessionId = upload.sessionId
            #expect(object.blobId.hasPrefix("hoist/objects/" + sessionId + "."), "\(object.blobId)")
            #expect(try await MotoS3.object(bucket: bucket, key: object.blobId) == Self.png)
            #expect(try await MotoS3.object(bucket: bucket, key: upload.uploadKey) == nil, "the session's key is emptied")

            let forged = Data([0x89, 0x50, 0x4E, 0x47]) + Data(repeating: 9, count: 300)
            #expect(try await upload.luw.put(upload.signed, body: forged, contentType: "image/png").status == 200, "S3 honours the URL until it expires")
            #expect(try await TestHTTP.send(.GET, upload.final).body == Self.png)
            #expect(try await upload.luw.finalize(upload.final).status == 200, "finalize again: idempotent")
            #expect(try await TestHTTP.send(.GET, upload.final).body == Self.png)
            let again = try #require(try await ts.server.state.store.object(at: "luwai/100/kept.png"))
            #expect(again.blobId == object.blobId && again.md5 == MD5Hex.of(Self.png) && again.deleteAt == nil)

            try await ts.server.sweep()
            #expect(try await MotoS3.object(bucket: bucket, key: upload.uploadKey) == forged, "the URL still works: kept until it expires")
            clock.advance(by: 3601)
            try await ts.server.sweep()
            #expect(try await MotoS3.keys(bucket: bucket) == [object.blobId], "the replay's bytes are deleted, the object's kept")
            #expect(try await TestHTTP.send(.GET, upload.final).body == Self.png)
        }
    }

    @Test("a second PUT to a pending Luw session after a fetch recorded the first: finalize records and seals the second, which the final URL served")
    func finalizeSealsTheSessionsLatestPut() async throws {
        try await S3BlobStoreTests.withS3Server { ts, bucket in
            let upload = try await Self.upload("twice.png", to: ts)
            #expect(try await TestHTTP.send(.GET, upload.final).body == Self.png)
            let first = try #require(try await ts.server.state.store.object(at: "luwai/100/twice.png"))
            #expect(first.md5 == MD5Hex.of(Self.png))

            let second = Data([0x89, 0x50, 0x4E, 0x47]) + Data(repeating: 3, count: 450)
            #expect(try await upload.luw.put(upload.signed, body: second, contentType: "image/png").status == 200)
            #expect(try await upload.luw.finalize(upload.final).status == 200)
            let object = try #require(try await ts.server.state.store.object(at: "luwai/100/twice.png"))
            #expect(object.md5 == MD5Hex.of(second) && object.size == Int64(second.count), "the record is the bytes sealed")
            #expect(try await TestHTTP.send(.GET, upload.final).body == second)
            #expect(try await MotoS3.keys(bucket: bucket) == [object.blobId], "one sealed copy; no stray copy of the first PUT")
        }
    }

    /// The copies the server asked the bucket for.
    static func copyRequests(_ proxy: FaultProxy) -> Int {
        proxy.requestLines.count { $0.hasPrefix("PUT ") && $0.contains("/hoist/objects/") }
    }

    @Test("concurrent finalizes of one upload: every one 200, one copy made, one completed event, one object in the bucket")
    func concurrentFinalizesSealOnce() async throws {
        try await S3BlobStoreTests.withProxiedS3Server("luwrace") { ts, proxy, bucket in
            let upload = try await Self.upload("race.png", to: ts)
            let sessionId = upload.sessionId

            // Every answer from the bucket late, so that the finalizes overlap.
            proxy.delayAnswers(by: .milliseconds(150))
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<6 { group.addTask { try await upload.luw.finalize(upload.final).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            proxy.delayAnswers(by: .zero)
            #expect(statuses == Array(repeating: 200, count: 6))
            #expect(Self.copyRequests(proxy) == 1, "\(proxy.requestLines)")
            let turns = try #require((ts.server.state.blobs as? S3Blobs)?.finalizing)
            #expect(turns.peakWaiting >= 1, "the finalizes overlapped and took turns")
            #expect(turns.busyKeys == 0, "no turn left behind")
            let object = try #require(try await ts.server.state.store.object(at: "luwai/100/race.png"))
            #expect(try await MotoS3.keys(bucket: bucket) == [object.blobId])
            #expect(try await TestHTTP.send(.GET, upload.final).body == Self.png)
            let events = try await S3BlobStoreTests.events(of: sessionId, on: ts)
            #expect(events.filter { $0 == "completed" }.count == 1, "\(events)")
        }
    }

    /// Two instances on one PostgreSQL database and one bucket, `b` reaching the bucket
    /// through a `FaultProxy`; `body` gets both, the proxy and the bucket.
    static func twoInstances(_ body: (TestServer, TestServer, FaultProxy, String) async throws -> Void) async throws {
        let database = try await TestPostgres.makeDatabase()
        let blobs = try await TestS3Blobs.make("luwtwo", prefix: "hoist")
        let secret = Data("a secret every instance shares, 32+ bytes".utf8)
        func configure(_ config: inout ServerConfiguration, endpoint: String?) {
            config.metadata = .postgres(database.url)
            config.signingSecret = secret
            config.sweepInterval = 24 * 3600
            blobs.apply(to: &config, endpoint: endpoint)
        }
        do {
            try await FaultProxy.with(upstream: try await MotoS3.endpoint()) { proxy in
                try await TestServer.with(configure: { configure(&$0, endpoint: nil) }) { a in
                    try await TestServer.with(keyPersonas: [200], configure: { configure(&$0, endpoint: proxy.baseURL) }) { b in
                        try await body(a, b, proxy, blobs.bucket)
                    }
                }
            }
        } catch {
            await database.drop()
            throw error
        }
        await database.drop()
    }

    /// The race across instances, made certain: b's copy is made and its answer held while
    /// a finalizes the same upload start to end. b's finalize then finds the record moved
    /// from what it read, changes nothing, deletes its own copy and answers as a repeated
    /// finalize does.
    @Test("two instances finalize one upload at once: both 200, the first to commit is the object, the other's copy is deleted, one completed event")
    func finalizesRacingAcrossInstances() async throws {
        try await Self.twoInstances { a, b, proxy, bucket in
            let upload = try await Self.upload("shared.png", to: a)
            let onB = LuwCalls(baseURL: b.baseURL, key: a.key)
            proxy.delayAnswers(by: .milliseconds(600))
            let late = Task { try await onB.finalize(upload.final).status }
            #expect(await waitUntil(timeout: 10, every: .milliseconds(5)) { Self.copyRequests(proxy) == 1 }, "b copies")
            #expect(try await upload.luw.finalize(upload.final).status == 200, "a finalizes while b's copy answer is held")
            let object = try #require(try await a.server.state.store.object(at: "luwai/100/shared.png"))
            #expect(try await late.value == 200)
            proxy.delayAnswers(by: .zero)

            #expect(Self.copyRequests(proxy) == 1, "b copied once, then found the record sealed: \(proxy.requestLines)")
            #expect(try await a.server.state.store.object(at: "luwai/100/shared.png")?.identity == object.identity)
            #expect(try await MotoS3.keys(bucket: bucket) == [object.blobId], "b's copy deleted, the session's key emptied")
            #expect(try await TestHTTP.send(.GET, upload.final).body == Self.png)
            let events = try await S3BlobStoreTests.events(of: upload.sessionId, on: a)
            #expect(events.filter { $0 == "completed" }.count == 1, "\(events)")
        }
    }

    /// What instances racing on one database meet: the object changed between a finalize's
    /// read and its commit (another finalize sealed it, a fetch recorded a newer PUT).
    @Test("a finalize whose object changed since it was read changes nothing and says so; one that finds it unchanged moves it")
    func finalizeChecksWhatItRead() async throws {
        try await S3BlobStoreTests.withS3Server { ts, _ in
            let upload = try await Self.upload("checked.png", to: ts)
            #expect(try await TestHTTP.send(.GET, upload.final).body == Self.png)
            let store = ts.server.state.store
            let key = "luwai/100/checked.png"
            let object = try #require(try await store.object(at: key))
            let session = try #require(try await store.session(id: object.sessionId, now: Date()))
            var otherBytes = object.identity
            otherBytes.md5 = String(repeating: "0", count: 32)
            for stale in [nil, otherBytes] {
                let outcome = try await store.finalize(objectKey: key, userId: session.userId, now: Date(),
                                                       checking: FinalizeCheck(expected: stale, moveTo: "hoist/objects/elsewhere"))
                #expect(outcome == .blobChanged)
            }
            #expect(try await store.object(at: key)?.identity == object.identity)
            #expect(try await store.session(id: session.id, now: Date())?.status == .pending)
            let moved = try await store.finalize(objectKey: key, userId: session.userId, now: Date(),
                                                 checking: FinalizeCheck(expected: object.identity, moveTo: "hoist/objects/elsewhere"))
            #expect(moved == .finalized(fresh: true))
            #expect(try await store.object(at: key)?.blobId == "hoist/objects/elsewhere")
            #expect(try await store.session(id: session.id, now: Date())?.status == .completed)
        }
    }

    @Test("bytes deleted behind the server's back before finalize: 409 upload_missing, the record as it was")
    func bytesGoneAreUploadMissing() async throws {
        try await S3BlobStoreTests.withS3Server { ts, bucket in
            let upload = try await Self.upload("gone.png", to: ts)
            #expect(try await TestHTTP.send(.GET, upload.final).body == Self.png)
            let recorded = try #require(try await ts.server.state.store.object(at: "luwai/100/gone.png"))
            try await MotoS3.delete(bucket: bucket, key: try Self.key(of: upload.signed))

            let finalized = try await upload.luw.finalize(upload.final)
            #expect(finalized.status == 409 && finalized.errorCode == "upload_missing", "\(finalized.status) \(finalized.text)")
            #expect(try await ts.server.state.store.object(at: "luwai/100/gone.png")?.identity == recorded.identity)
            #expect(try await ts.server.state.store.session(id: recorded.sessionId, now: Date())?.status == .pending)
            #expect(try await MotoS3.keys(bucket: bucket).isEmpty, "no copy left behind")
        }
    }

    @Test("a replay's bytes the sweeper could not delete (the bucket away) are deleted at the next sweep")
    func sweptAgainAfterAFailedDelete() async throws {
        let clock = ManualClock(start: Date())
        try await S3BlobStoreTests.withProxiedS3Server("luwresweep", clock: clock) { ts, proxy, bucket in
            let upload = try await Self.upload("again.png", to: ts)
            #expect(try await upload.luw.finalize(upload.final).status == 200)
            let forged = Data([0x89, 0x50, 0x4E, 0x47]) + Data(repeating: 5, count: 40)
            #expect(try await upload.luw.put(upload.signed, body: forged, contentType: "image/png").status == 200)

            clock.advance(by: 3601)
            proxy.inject(.s3Error(status: 503, code: "SlowDown", message: "Please reduce your request rate."), on: "DELETE ")
            try await ts.server.sweep()
            #expect(proxy.faultsFired == 1)
            #expect(try await MotoS3.object(bucket: bucket, key: upload.uploadKey) == forged, "the DELETE failed: kept for now")
            try await ts.server.sweep()
            #expect(try await MotoS3.object(bucket: bucket, key: upload.uploadKey) == nil, "the next sweep deleted it")
            #expect(try await TestHTTP.send(.GET, upload.final).body == Self.png)
        }
    }

    @Test("a Luw upload finalized before sealing existed keeps its bytes at its session's key: the sweeper leaves them")
    func legacyFinalizedBytesAreKept() async throws {
        let clock = ManualClock(start: Date())
        try await S3BlobStoreTests.withS3Server(clock: clock) { ts, bucket in
            let upload = try await Self.upload("old.png", to: ts)
            #expect(try await TestHTTP.send(.GET, upload.final).body == Self.png)
            // As an earlier server finalized: the record completed, the bytes where they were.
            let store = ts.server.state.store
            let object = try #require(try await store.object(at: "luwai/100/old.png"))
            let session = try #require(try await store.session(id: object.sessionId, now: clock.now()))
            #expect(try await store.finalize(objectKey: "luwai/100/old.png", userId: session.userId, now: clock.now(), checking: nil)
                == .finalized(fresh: true))
            clock.advance(by: 3601)
            try await ts.server.sweep()
            #expect(try await MotoS3.object(bucket: bucket, key: upload.uploadKey) == Self.png)
            #expect(try await TestHTTP.send(.GET, upload.final).body == Self.png)
            #expect(try await upload.luw.finalize(upload.final).status == 200, "finalized again: sealed now")
            let sealed = try #require(try await store.object(at: "luwai/100/old.png"))
            #expect(sealed.blobId != upload.uploadKey && sealed.md5 == MD5Hex.of(Self.png))
            #expect(try await MotoS3.keys(bucket: bucket) == [sealed.blobId])
        }
    }

    @Test("the bucket away during finalize's copy (503 SlowDown, an error inside a 200, or the 4xx codes S3 asks to retry: 409 OperationAborted, 400 RequestTimeout): finalize is 503 unavailable and nothing changed; a copy refused 412 (the bytes changed) is looked at again; it finalizes once the bucket answers")
    func bucketAwayDuringTheCopy() async throws {
        try await S3BlobStoreTests.withProxiedS3Server("luwaway") { ts, proxy, bucket in
            let upload = try await Self.upload("away.png", to: ts)
            let sessionId = upload.sessionId

            for fault in [FaultProxy.Fault.s3Error(status: 503, code: "SlowDown", message: "Please reduce your request rate."),
                          .s3Error(status: 200, code: "InternalError", message: "We encountered an internal error."),
                          .s3Error(status: 409, code: "OperationAborted", message: "A conflicting conditional operation is in progress."),
                          .s3Error(status: 200, code: "OperationAborted", message: "A conflicting conditional operation is in progress."),
                          .s3Error(status: 400, code: "RequestTimeout", message: "Your socket connection to the server was not read from.")] {
                proxy.inject(fault, on: "x-amz-copy-source")
                let away = try await upload.luw.finalize(upload.final)
                #expect(away.status == 503 && away.header("Retry-After") == "5", "\(fault): \(away.status) \(away.text)")
                #expect(try await ts.server.state.store.session(id: sessionId, now: Date())?.status == .pending)
                #expect(try await ts.server.state.store.object(at: "luwai/100/away.png")?.blobId == upload.uploadKey)
                #expect(try await MotoS3.keys(bucket: bucket) == [upload.uploadKey])
            }
            // What S3 itself answers a copy whose source no longer has the recorded ETag.
            proxy.inject(.s3Error(status: 412, code: "PreconditionFailed", message: "At least one of the pre-conditions you specified did not hold"),
                         on: "x-amz-copy-source")
            let before = Self.copyRequests(proxy)
            #expect(try await upload.luw.finalize(upload.final).status == 200)
            #expect(proxy.faultsFired == 6)
            #expect(Self.copyRequests(proxy) == before + 2, "refused, then copied")
            let object = try #require(try await ts.server.state.store.object(at: "luwai/100/away.png"))
            #expect(object.blobId != upload.uploadKey && object.deleteAt == nil)
            #expect(try await MotoS3.keys(bucket: bucket) == [object.blobId])
            #expect(try await TestHTTP.send(.GET, upload.final).body == Self.png)
        }
    }

    @Test("a Luw PUT that landed before its session expired, the bucket away when the sweeper expired it: finalize and the final URL answer 503, never upload_missing or 404; once the bucket answers, finalize succeeds")
    func expiredWithTheBucketAwayIs503() async throws {
        let blobs = try await TestS3Blobs.make("luwaway", prefix: "hoist")
        let clock = ManualClock(start: Date())
        try await FaultProxy.with(upstream: try await MotoS3.endpoint()) { proxy in
            try await TestServer.with(sessionTTL: 60, clock: clock, configure: { blobs.apply(to: &$0, endpoint: proxy.baseURL) }) { ts in
                let upload = try await Self.upload("away.png", to: ts)
                clock.advance(by: 61)
                proxy.inject(.s3Error(status: 503, code: "SlowDown", message: "Please reduce your request rate."), on: "HEAD ", times: 1_000)
                _ = try? await ts.server.sweep()
                #expect(try await ts.server.state.store.session(id: upload.sessionId, now: clock.now())?.status == .expired)
                let finalize = try await upload.luw.finalize(upload.final)
                #expect(finalize.status == 503 && finalize.errorCode == "unavailable", "\(finalize.text)")
                #expect(try await TestHTTP.send(.GET, upload.final).status == 503)

                proxy.clearFaults()
                let done = try await upload.luw.finalize(upload.final)
                #expect(done.status == 200, "\(done.text)")
                #expect(try await TestHTTP.send(.GET, upload.final).body == Self.png)
            }
        }
    }
}
