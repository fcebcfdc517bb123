import Foundation
import GRDB
import HoistTestSupport
import Testing

@testable import HoistServer

/// `--blob-store s3://`: clients PUT straight to the bucket (moto's S3 here), the server
/// HEADs, presigns and deletes. Its own suites run on the disk store; what differs is here.
@Suite struct S3BlobStoreTests {
    /// A test server whose bytes go to a new moto bucket; `body` gets it and the bucket.
    static func withS3Server(clock: ManualClock? = nil, _ body: (TestServer, String) async throws -> Void) async throws {
        let blobs = try await TestS3Blobs.make("blob", prefix: "hoist")
        try await TestServer.with(clock: clock, configure: { blobs.apply(to: &$0) }) { ts in try await body(ts, blobs.bucket) }
    }

    /// A server with S3 blobs behind a `FaultProxy` in front of moto; `body` gets it, the
    /// proxy and the bucket.
    static func withProxiedS3Server(_ label: String, clock: ManualClock? = nil,
                                    _ body: (TestServer, FaultProxy, String) async throws -> Void) async throws {
        let blobs = try await TestS3Blobs.make(label, prefix: "hoist")
        try await FaultProxy.with(upstream: try await MotoS3.endpoint()) { proxy in
            try await TestServer.with(clock: clock, configure: { blobs.apply(to: &$0, endpoint: proxy.baseURL) }) { ts in
                try await body(ts, proxy, blobs.bucket)
            }
        }
    }

    static func query(_ url: String) -> [String: String] {
        Dictionary((URLComponents(string: url)?.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
    }

    @Test("Lightfield: the upload URL is a presigned PUT to the bucket over content-type, the declared length and if-none-match; complete HEADs it; the download is a presigned GET")
    func lightfieldLifecycleGoesStraightToTheBucket() async throws {
        try await Self.withS3Server { ts, bucket in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let body = Data("bytes that never pass through hoist".utf8)
            let created = try await lf.create(filename: "direct.txt", sizeBytes: body.count)
            let id = try #require(created.string("id"))
            let url = try #require(created.string("uploadUrl"))
            #expect(url.hasPrefix(try await MotoS3.endpoint() + "/" + bucket + "/hoist/uploads/" + id), "\(url)")
            #expect(created.json["uploadHeaders"] as? [String: String] == ["content-type": "text/plain", "if-none-match": "*"])
            #expect(Self.query(url)["X-Amz-SignedHeaders"] == "content-length;content-type;host;if-none-match")
            #expect(Self.query(url)["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256")
            #expect(try await lf.put(created, body: body).status == 200)
            // The server saw no byte: nothing under its data directory's blobs.
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: ts.dataDirectory + "/blobs")) ?? []).isEmpty)

            let done = try await lf.complete(id, md5: MD5Hex.of(body))
            #expect(done.status == 200, "\(done.text)")
            #expect(done.string("status") == "COMPLETED" && done.string("md5") == MD5Hex.of(body))
            let again = try await lf.complete(id, md5: MD5Hex.of(body))
            #expect(again.status == 200, "an idempotent complete: \(again.text)")

            let answer = try await lf.downloadURL(id)
            let download = try #require(answer.string("url"))
            // expiresAt is when the presigned URL stops working: its date plus its seconds.
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
            let signed = try #require(Self.query(download)["X-Amz-Date"].flatMap(formatter.date(from:)))
            let seconds = try #require(Self.query(download)["X-Amz-Expires"].flatMap(Double.init))
            let said = try #require(answer.string("expiresAt").flatMap { try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse($0) })
            #expect(abs(signed.addingTimeInterval(seconds).timeIntervalSince(said)) < 0.001, "\(download) \(answer.text)")
            // S3 answers with these (signed) response-* values; moto before 5.2.5 ignores them.
            let disposition = Self.query(download)["response-content-disposition"]
            #expect(disposition?.hasPrefix("attachment") == true && disposition?.contains("direct.txt") == true)
            #expect(Self.query(download)["response-content-type"] == "text/plain")
            let fetched = try await TestHTTP.send(.GET, download)
            #expect(fetched.status == 200 && fetched.body == body)
        }
    }

    @Test("a bucket deleted under the server: complete, finalize and a Luw final URL answer 500 (its misconfiguration), never that no bytes were uploaded")
    func bucketGoneIsAnError() async throws {
        try await Self.withS3Server { ts, bucket in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let body = Data("stored, then the bucket went".utf8)
            let created = try await lf.create(filename: "gone.txt", sizeBytes: body.count)
            let id = try #require(created.string("id"))
            #expect(try await lf.put(created, body: body).status == 200)
            let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
            let answer = try await luw.upload(filename: "gone.png")
            let final = try #require(answer.string("final_url"))
            let png = Data([0x89, 0x50, 0x4E, 0x47]) + Data(repeating: 7, count: 100)
            #expect(try await luw.put(try #require(answer.string("signed_url")), body: png, contentType: "image/png").status == 200)
            try await MotoS3.deleteBucket(bucket)
            let done = try await lf.complete(id, md5: MD5Hex.of(body))
            #expect(done.status == 500, "\(done.text)")
            #expect(try await lf.metadata(id).string("status") == "PENDING", "nothing was decided")
            let finalized = try await luw.finalize(final)
            #expect(finalized.status == 500, "\(finalized.text)")
            let fetched = try await TestHTTP.send(.GET, final, followingRedirects: false)
            #expect(fetched.status == 500, "\(fetched.status) \(fetched.text)")
        }
    }

    @Test("concurrent completes of one session: all 200, the body stored and the session completed once (a knowledge upload too, whose name must be free)",
          arguments: ["meeting_transcript", "knowledge_user"])
    func concurrentCompletesStoreOnce(purpose: String) async throws {
        try await Self.withS3Server { ts, _ in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let body = Data(repeating: 0x42, count: 2000)
            let created = try await lf.create(purpose: purpose, sizeBytes: body.count)
            let id = try #require(created.string("id"))
            #expect(try await lf.put(created, body: body).status == 200)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 { group.addTask { try await lf.complete(id, md5: MD5Hex.of(body)).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 200, count: 20), "\(statuses)")
            let events = try await Self.events(of: id, on: ts)
            #expect(events.filter { $0 == "stored" }.count == 1 && events.filter { $0 == "completed" }.count == 1, "\(events)")
        }
    }

    /// The kinds of `id`'s events in the server's metadata store, oldest first.
    static func events(of id: String, on ts: TestServer) async throws -> [String] {
        switch ts.metadata {
        case .sqlite:
            var readOnly = Configuration()
            readOnly.readonly = true
            return try await DatabaseQueue(path: ts.dataDirectory + "/hoist.sqlite", configuration: readOnly).read { db in
                try String.fetchAll(db, sql: "SELECT kind FROM events WHERE sessionId = ? ORDER BY seq", arguments: [id])
            }
        case .postgres(let url):
            let kinds = try await PostgresStoreTests.Psql(url: url)
                .value("SELECT string_agg(kind, ',' ORDER BY seq) FROM events WHERE session_id = '\(id)'")
            return kinds.split(separator: ",").map(String.init)
        }
    }

    @Test("the bucket away (answering 503 SlowDown, or cutting the connection): complete is 503 unavailable with Retry-After, the session stays PENDING, and completes once the bucket answers")
    func bucketAwayIs503() async throws {
        let blobs = try await TestS3Blobs.make("away", prefix: "hoist")
        try await FaultProxy.with(upstream: try await MotoS3.endpoint()) { proxy in
            try await TestServer.with(configure: { blobs.apply(to: &$0, endpoint: proxy.baseURL) }) { ts in
                let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
                let body = Data(repeating: 0x43, count: 500)
                let created = try await lf.create(sizeBytes: body.count)
                let id = try #require(created.string("id"))
                #expect(try await lf.put(created, body: body).status == 200)

                proxy.inject(.s3Error(status: 503, code: "SlowDown", message: "Please reduce your request rate."), on: "HEAD ")
                let slow = try await lf.complete(id, md5: MD5Hex.of(body))
                #expect(slow.status == 503 && slow.errorCode == "unavailable" && slow.header("Retry-After") == "5", "\(slow.text)")
                proxy.inject(.dropAfter(bytes: 0), on: "HEAD ")
                let cut = try await lf.complete(id, md5: MD5Hex.of(body))
                #expect(cut.status == 503 && cut.errorCode == "unavailable", "\(cut.text)")
                #expect(try await lf.metadata(id).string("status") == "PENDING")

                let done = try await lf.complete(id, md5: MD5Hex.of(body))
                #expect(done.status == 200 && done.string("md5") == MD5Hex.of(body), "\(done.text)")
            }
        }
    }

    @Test("a bucket that refuses connections: complete is 503 unavailable after the connect timeout's retries (10 s), not held for 30, and the session stays PENDING")
    func refusedStoreIs503Soon() async throws {
        try await Self.withProxiedS3Server("refused") { ts, proxy, _ in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let body = Data(repeating: 0x44, count: 300)
            let created = try await lf.create(sizeBytes: body.count)
            let id = try #require(created.string("id"))
            #expect(try await lf.put(created, body: body).status == 200)
            // The store's address now refuses every connection.
            try await proxy.stop()
            let started = ContinuousClock.now
            let refused = try await lf.complete(id, md5: MD5Hex.of(body))
            let took = ContinuousClock.now - started
            #expect(refused.status == 503 && refused.errorCode == "unavailable" && refused.header("Retry-After") == "5", "\(refused.text)")
            #expect(took < .seconds(20), "answered after \(took)")
            #expect(try await lf.metadata(id).string("status") == "PENDING")
        }
    }

    @Test("a 409 to complete's HEAD (an operation on the key in progress; a HEAD's error has no body) is 503 unavailable, not 500; an object whose HEAD gives no MD5 for an ETag is a 500 that deletes nothing and leaves the session PENDING")
    func tryAgainCodesAre503AndAnObjectWithoutAnMD5IsKept() async throws {
        try await Self.withProxiedS3Server("codes") { ts, proxy, bucket in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let body = Data(repeating: 0x44, count: 700)
            let created = try await lf.create(sizeBytes: body.count)
            let id = try #require(created.string("id"))
            #expect(try await lf.put(created, body: body).status == 200)
            proxy.inject(.s3Error(status: 409, code: "OperationAborted", message: "A conflicting conditional operation is in progress."), on: "HEAD ")
            let aborted = try await lf.complete(id, md5: MD5Hex.of(body))
            #expect(aborted.status == 503 && aborted.errorCode == "unavailable" && aborted.header("Retry-After") == "5", "\(aborted.text)")

            // From now on the store's answers carry no ETag (a proxy that drops it).
            proxy.rewriteAnswers("ETag:", with: "XTag:")
            let noETag = try await lf.complete(id, md5: MD5Hex.of(body))
            #expect(noETag.status == 500, "\(noETag.text)")
            #expect(try await lf.metadata(id).string("status") == "PENDING")
            #expect(try await MotoS3.object(bucket: bucket, key: "hoist/uploads/" + id) == body, "kept, not deleted as other bytes")
        }
    }

    @Test("a store slow to answer (12 s a HEAD) with 24 completes at once: every one 200 once its HEAD answers, none refused while waiting for a connection (async-http-client's default of 8 made those 503 at 10 s)")
    func manyCompletesWaitForASlowStore() async throws {
        try await Self.withProxiedS3Server("slow") { ts, proxy, _ in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            var sessions: [(id: String, md5: String)] = []
            for index in 0..<24 {
                let body = Data("slow store \(index)".utf8)
                let created = try await lf.create(sizeBytes: body.count)
                #expect(try await lf.put(created, body: body).status == 200)
                sessions.append((try #require(created.string("id")), MD5Hex.of(body)))
            }
            proxy.delayAnswers(by: .seconds(12))
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for session in sessions { group.addTask { try await lf.complete(session.id, md5: session.md5).status } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.count == 24 && statuses.allSatisfy { $0 == 200 }, "\(statuses)")
        }
    }

    @Test("a DELETE answered 404 NoSuchBucket deleted nothing: the sweeper keeps the key on its list and deletes it once the bucket answers")
    func aDeleteOfAMissingBucketIsNotTakenForDone() async throws {
        let clock = ManualClock(start: Date())
        try await Self.withProxiedS3Server("nobucket", clock: clock) { ts, proxy, bucket in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let body = Data("cancel me".utf8)
            let created = try await lf.create(sizeBytes: body.count)
            let id = try #require(created.string("id"))
            let key = "hoist/uploads/" + id
            #expect(try await lf.cancel(id).status == 200)
            // A presigned URL cannot be revoked: the PUT lands after the cancel.
            #expect(try await lf.put(created, body: body).status == 200)
            clock.advance(by: 3601)
            proxy.inject(.s3Error(status: 404, code: "NoSuchBucket", message: "The specified bucket does not exist"), on: "DELETE ", times: 10)
            try? await ts.server.sweep()
            proxy.clearFaults()
            #expect(try await MotoS3.object(bucket: bucket, key: key) == body)
            try await ts.server.sweep()
            #expect(try await MotoS3.object(bucket: bucket, key: key) == nil, "deleted once the bucket answered")
        }
    }

    /// API.md: "replaying an old URL can never overwrite a finished file". S3 honours a
    /// presigned PUT until it expires, so the URL itself requires `if-none-match: *` (signed:
    /// S3 refuses the request without it, 403) and S3 refuses any PUT once the key holds an
    /// object. moto checks no signature, so the replays here send the session's headers
    /// exactly, as a replay that S3 would accept must.
    @Test("a completed session's URL replayed with its headers is refused 412 and its download still serves the completed bytes; a second PUT before complete is refused too")
    func replayedURLReplacesNothing() async throws {
        try await Self.withS3Server { ts, bucket in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let body = Data("the completed bytes".utf8)
            let forged = Data("other bytes, same size".utf8.prefix(body.count))
            let created = try await lf.create(sizeBytes: body.count)
            let id = try #require(created.string("id"))
            let key = "hoist/uploads/" + id
            #expect(try await lf.put(created, body: body).status == 200)

            let second = try await lf.put(created, body: forged)
            #expect(second.status == 412, "\(second.status) \(second.text)")
            #expect(try await lf.complete(id, md5: MD5Hex.of(body)).status == 200)

            let replay = try await lf.put(created, body: forged)
            #expect(replay.status == 412, "\(replay.status) \(replay.text)")
            #expect(try await MotoS3.object(bucket: bucket, key: key) == body)
            let download = try #require(try await lf.downloadURL(id).string("url"))
            let fetched = try await TestHTTP.send(.GET, download)
            #expect(fetched.status == 200 && fetched.body == body)
            #expect(try await lf.metadata(id).string("md5") == MD5Hex.of(body))
        }
    }

    @Test("a wrong md5 or size at complete deletes the object and leaves the session PENDING; nothing PUT is upload_missing")
    func mismatchesDeleteTheObject() async throws {
        try await Self.withS3Server { ts, bucket in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let body = Data(repeating: 0x41, count: 1000)
            let created = try await lf.create(sizeBytes: body.count)
            let id = try #require(created.string("id"))
            let key = "hoist/uploads/" + id

            let missing = try await lf.complete(id)
            #expect(missing.status == 409 && missing.errorCode == "upload_missing", "\(missing.text)")

            _ = try await lf.put(created, body: body)
            let wrong = try await lf.complete(id, md5: String(repeating: "0", count: 32))
            #expect(wrong.status == 422 && wrong.errorCode == "checksum_mismatch", "\(wrong.text)")
            #expect(try await MotoS3.object(bucket: bucket, key: key) == nil)
            #expect(try await lf.metadata(id).string("status") == "PENDING")

            // moto checks no signature, so a short body lands; S3 itself refuses it (the length
            // is signed). Either way complete refuses it and deletes it.
            _ = try await lf.put(created, body: body.prefix(10), override: [:])
            let short = try await lf.complete(id)
            #expect(short.status == 422 && short.errorCode == "size_mismatch", "\(short.text)")
            #expect(try await MotoS3.object(bucket: bucket, key: key) == nil)

            _ = try await lf.put(created, body: body)
            #expect(try await lf.complete(id, md5: MD5Hex.of(body)).status == 200)
        }
    }

    /// A Lightfield upload of `body` PUT to the bucket, then a wrong-md5 complete as its route
    /// runs it up to its commit: the record marked, its DELETE not yet sent.
    struct Discarding {
        let lf: LightfieldCalls
        let created: HTTPResult
        let id: String
        /// The bucket key the session's URL PUTs to.
        let key: String
        let session: SessionRecord
        /// The blob the complete discarded.
        let discarded: String
    }

    static func discarding(_ body: Data, on ts: TestServer) async throws -> Discarding {
        let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
        let created = try await lf.create(sizeBytes: body.count)
        let id = try #require(created.string("id"))
        #expect(try await lf.put(created, body: body).status == 200)
        let store = ts.server.state.store
        let session = try #require(try await store.session(id: id, now: Date()))
        try await ts.server.state.blobs.settle(session)
        let wrong = try await store.complete(id: id, md5: String(repeating: "0", count: 32), now: ts.server.state.now(), markingDiscards: true)
        guard case .rejected(let error, let discarded?) = wrong else {
            Issue.record("the wrong complete: \(wrong)")
            throw CancellationError()
        }
        #expect(error.code == "checksum_mismatch")
        return Discarding(lf: lf, created: created, id: id, key: "hoist/uploads/" + id, session: session, discarded: discarded)
    }

    @Test("a wrong-md5 complete whose DELETE has not run yet: a complete racing it with the right md5 finds no upload (409), never a 200 whose bytes that DELETE then takes; once they are gone the session takes a new PUT and completes")
    func aDiscardNotYetDeletedIsNoUpload() async throws {
        try await Self.withS3Server { ts, bucket in
            let body = Data(repeating: 0x42, count: 1000)
            let up = try await Self.discarding(body, on: ts)
            // The bytes are still at the key, but they are the discarded ones.
            let racing = try await up.lf.complete(up.id, md5: MD5Hex.of(body))
            #expect(racing.status == 409 && racing.errorCode == "upload_missing", "\(racing.text)")
            #expect(try await MotoS3.object(bucket: bucket, key: up.key) == body)
            // The wrong complete goes on: its DELETE, then its mark.
            #expect(await ts.server.state.blobs.deleteOne(up.discarded))
            try await ts.server.state.store.dropDiscarded(objectKey: up.session.objectKey, sessionId: up.id, blobId: up.discarded)
            #expect(try await up.lf.metadata(up.id).string("status") == "PENDING")
            #expect(try await up.lf.put(up.created, body: body).status == 200)
            #expect(try await up.lf.complete(up.id, md5: MD5Hex.of(body)).status == 200)
            #expect(try await MotoS3.object(bucket: bucket, key: up.key) == body)
        }
    }

    @Test("a sealed copy whose finalize never committed (its instance killed between the copy and the commit) is deleted by the sweep once its grace is over; the copy a finalize recorded stays and is served")
    func anAbandonedSealedCopyIsSwept() async throws {
        let clock = ManualClock(start: Date())
        try await Self.withS3Server(clock: clock) { ts, bucket in
            let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
            let answer = try await luw.upload(filename: "kept.png")
            let final = try #require(answer.string("final_url"))
            let png = Data([0x89, 0x50, 0x4E, 0x47]) + Data(repeating: 9, count: 300)
            #expect(try await luw.put(try #require(answer.string("signed_url")), body: png, contentType: "image/png").status == 200)
            #expect(try await luw.finalize(final).status == 200)
            let sealed = try #require(try await ts.server.state.store.object(at: "luwai/100/kept.png")).blobId
            // What a finalize killed after its copy leaves: the copy, noted before it was
            // made, and no object that records it.
            let orphan = "hoist/objects/upl_killedmidway.abandoned0001"
            try await ts.server.state.store.noteSealedCopy(orphan, now: clock.now())
            try await MotoS3.put(bucket: bucket, key: orphan, body: png)
            // Within the grace its finalize might still be on its way: left alone.
            try await ts.server.sweep()
            #expect(try await MotoS3.object(bucket: bucket, key: orphan) == png)
            clock.advance(by: SweepOutcome.copyGrace + 1)
            try await ts.server.sweep()
            #expect(try await MotoS3.object(bucket: bucket, key: orphan) == nil, "the abandoned copy stayed")
            #expect(try await MotoS3.object(bucket: bucket, key: sealed) == png, "the recorded copy went")
            let fetched = try await TestHTTP.send(.GET, final)
            #expect(fetched.status == 200 && fetched.body == png)
            // Forgotten once deleted: nothing is left for a later sweep.
            clock.advance(by: SweepOutcome.copyGrace + 1)
            #expect(try await ts.server.state.store.sweep(now: clock.now()).abandonedCopies.isEmpty)
        }
    }

    @Test("a sealed copy replaced by a later finalize of its name, whose DELETE the bucket refused, is deleted by a sweep once the grace is over; the new copy stays")
    func aReplacedSealedCopyWhoseDeleteFailedIsSwept() async throws {
        let clock = ManualClock(start: Date())
        try await Self.withProxiedS3Server("resealed", clock: clock) { ts, proxy, bucket in
            let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
            func finalized(_ body: Data) async throws -> String {
                let answer = try await luw.upload(filename: "twice.png")
                #expect(try await luw.put(try #require(answer.string("signed_url")), body: body, contentType: "image/png").status == 200)
                #expect(try await luw.finalize(try #require(answer.string("final_url"))).status == 200)
                return try #require(try await ts.server.state.store.object(at: "luwai/100/twice.png")).blobId
            }
            let first = Data([0x89, 0x50, 0x4E, 0x47]) + Data(repeating: 1, count: 200)
            let second = Data([0x89, 0x50, 0x4E, 0x47]) + Data(repeating: 2, count: 200)
            let old = try await finalized(first)
            // Every DELETE of a sealed copy fails now (the bucket refusing, for a while).
            proxy.inject(.s3Error(status: 500, code: "InternalError", message: "We encountered an internal error."),
                         on: "DELETE /\(bucket)/hoist/objects/", times: 100)
            let new = try await finalized(second)
            #expect(new != old)
            #expect(try await MotoS3.object(bucket: bucket, key: old) == first, "the refused DELETE left it")
            proxy.clearFaults()
            clock.advance(by: SweepOutcome.copyGrace + 1)
            try await ts.server.sweep()
            #expect(try await MotoS3.object(bucket: bucket, key: old) == nil, "the replaced copy stayed")
            #expect(try await MotoS3.object(bucket: bucket, key: new) == second)
        }
    }

    @Test("a discard whose DELETE failed keeps its mark (no upload, the key not free); past the grace its complete's DELETE has, the sweep deletes both, and the session then takes a new PUT")
    func aDiscardTheBucketKeptIsSwept() async throws {
        let clock = ManualClock(start: Date())
        try await Self.withS3Server(clock: clock) { ts, bucket in
            let body = Data(repeating: 0x43, count: 1000)
            // As if the bucket had refused the DELETE: the mark stays.
            let up = try await Self.discarding(body, on: ts)
            #expect(try await up.lf.complete(up.id, md5: MD5Hex.of(body)).errorCode == "upload_missing")
            // Within the grace the complete's own DELETE may still be on its way: left to it.
            try await ts.server.sweep()
            #expect(try await ts.server.state.store.object(at: up.session.objectKey) != nil)
            #expect(try await MotoS3.object(bucket: bucket, key: up.key) == body)
            clock.advance(by: SweepOutcome.discardGrace + 1)
            try await ts.server.sweep()
            #expect(try await ts.server.state.store.object(at: up.session.objectKey) == nil)
            #expect(try await MotoS3.object(bucket: bucket, key: up.key) == nil)
            #expect(try await up.lf.put(up.created, body: body).status == 200)
            #expect(try await up.lf.complete(up.id, md5: MD5Hex.of(body)).status == 200)
        }
    }

    @Test("an instance killed between its discard's DELETE and dropping the mark: the PUT that then lands is the session's upload; the sweep drops the mark and deletes none of it, the next complete records it, and the file stays")
    func aDiscardWhoseBytesWentKeepsTheNextPut() async throws {
        let clock = ManualClock(start: Date())
        try await Self.withS3Server(clock: clock) { ts, bucket in
            let wrong = Data(repeating: 0x44, count: 1000)
            let right = Data(repeating: 0x45, count: 1000)
            let up = try await Self.discarding(wrong, on: ts)
            // Its DELETE went through; the instance died before it dropped the mark.
            #expect(await ts.server.state.blobs.deleteOne(up.discarded))
            #expect(try await up.lf.put(up.created, body: right).status == 200)
            // The mark stands until the sweep: no complete records the key meanwhile.
            #expect(try await up.lf.complete(up.id, md5: MD5Hex.of(right)).errorCode == "upload_missing")
            clock.advance(by: SweepOutcome.discardGrace + 1)
            try await ts.server.sweep()
            #expect(try await ts.server.state.store.object(at: up.session.objectKey) == nil, "the mark is gone")
            #expect(try await MotoS3.object(bucket: bucket, key: up.key) == right, "bytes other than the mark's are not deleted")
            let done = try await up.lf.complete(up.id, md5: MD5Hex.of(right))
            #expect(done.status == 200 && done.string("status") == "COMPLETED", "\(done.text)")
            try await ts.server.sweep()
            let download = try #require(try await up.lf.downloadURL(up.id).string("url"))
            #expect(try await TestHTTP.send(.GET, download).body == right)
        }
    }

    @Test("a sweep whose discard marks were read before another sweep cleared them deletes nothing: not the same bytes PUT again since and completed")
    func aStaleListOfDiscardMarksDeletesNothing() async throws {
        let clock = ManualClock(start: Date())
        try await Self.withS3Server(clock: clock) { ts, bucket in
            // A right upload completed with a wrong md5: its mark names these very bytes.
            let body = Data(repeating: 0x46, count: 1000)
            let up = try await Self.discarding(body, on: ts)
            clock.advance(by: SweepOutcome.discardGrace + 1)
            // What a second instance's sweep reads now, before the first clears the mark.
            let stale = try await ts.server.state.store.sweep(now: clock.now()).discarded
            #expect(stale.map(\.blobId) == [up.discarded])
            try await ts.server.sweep()
            #expect(try await ts.server.state.store.object(at: up.session.objectKey) == nil, "the mark is gone")
            // The client PUTs the same bytes again and completes with the right md5.
            #expect(try await up.lf.put(up.created, body: body).status == 200)
            #expect(try await up.lf.complete(up.id, md5: MD5Hex.of(body)).status == 200)
            // The second instance goes on with its list: the key holds bytes of the mark's
            // size and ETag, but the mark no longer stands, so they are not its to delete.
            let blobs = ts.server.state.blobs
            try await ts.server.state.store.clearDiscardMarks(stale) { await blobs.clearDiscard($0) }
            #expect(try await MotoS3.object(bucket: bucket, key: up.key) == body, "the completed bytes were deleted")
            let download = try #require(try await up.lf.downloadURL(up.id).string("url"))
            #expect(try await TestHTTP.send(.GET, download).body == body)
        }
    }

    @Test("cancel deletes the object; a PUT that lands after the cancel cannot complete and is deleted once its URL expired")
    func cancelAndLatePuts() async throws {
        let clock = ManualClock(start: Date())
        try await Self.withS3Server(clock: clock) { ts, bucket in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let body = Data("cancel me".utf8)
            let created = try await lf.create(sizeBytes: body.count)
            let id = try #require(created.string("id"))
            let key = "hoist/uploads/" + id
            _ = try await lf.put(created, body: body)
            #expect(try await lf.cancel(id).status == 200)
            #expect(try await MotoS3.object(bucket: bucket, key: key) == nil)

            // A presigned URL cannot be revoked: the PUT lands.
            #expect(try await lf.put(created, body: body).status == 200)
            let late = try await lf.complete(id)
            #expect(late.status == 409 && late.errorCode == "not_pending", "\(late.text)")
            #expect(try await MotoS3.object(bucket: bucket, key: key) == body)
            try await ts.server.sweep()
            #expect(try await MotoS3.object(bucket: bucket, key: key) == body, "the URL is still valid: kept until it expires")
            clock.advance(by: 3601)
            try await ts.server.sweep()
            #expect(try await MotoS3.object(bucket: bucket, key: key) == nil)
        }
    }

    @Test("Luw: signed_url is a presigned PUT; the final URL redirects to a presigned GET; finalize finds the upload and seals it")
    func luwGoesStraightToTheBucket() async throws {
        try await Self.withS3Server { ts, bucket in
            let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
            let answer = try await luw.upload(filename: "cat.png")
            let signed = try #require(answer.string("signed_url"))
            let final = try #require(answer.string("final_url"))
            #expect(signed.hasPrefix(try await MotoS3.endpoint() + "/" + bucket + "/hoist/uploads/upl_"))
            #expect(final.hasPrefix(ts.baseURL + "/cdn/luwai/100/"))
            let png = Data([0x89, 0x50, 0x4E, 0x47]) + Data(repeating: 7, count: 500)
            #expect(try await luw.put(signed, body: png, contentType: "image/png").status == 200)

            let redirect = try await TestHTTP.send(.GET, final, followingRedirects: false)
            #expect(redirect.status == 302)
            let location = try #require(redirect.header("Location"))
            #expect(Self.query(location)["response-content-disposition"] == nil, "an image shows inline")
            let fetched = try await TestHTTP.send(.GET, location)
            #expect(fetched.status == 200 && fetched.body == png)
            #expect(fetched.header("Content-Type") == "image/png")

            let finalized = try await luw.finalize(final)
            #expect(finalized.status == 200, "\(finalized.text)")
            let object = try #require(try await ts.server.state.store.object(at: "luwai/100/cat.png"))
            #expect(object.deleteAt == nil && object.md5 == MD5Hex.of(png))
        }
    }

    @Test("Luw: two sessions PUT the same name; the older PUT, noticed after the newer one was served and finalized, never replaces it (finalize, a later fetch, the sweep)")
    func theLastPutWinsHoweverLateTheOlderIsNoticed() async throws {
        try await Self.withS3Server { ts, bucket in
            let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
            let first = try await luw.upload(filename: "same.png")
            let firstURL = try #require(first.string("signed_url"))
            let old = Data([0x89, 0x50, 0x4E, 0x47]) + Data(repeating: 1, count: 100)
            #expect(try await luw.put(firstURL, body: old, contentType: "image/png").status == 200)
            // S3 stamps a PUT to the second: the newer one must come in a later second.
            let second = Int(Date().timeIntervalSince1970)
            #expect(await waitUntil(timeout: 5) { Int(Date().timeIntervalSince1970) > second })
            let newer = try await luw.upload(filename: "same.png")
            let newerURL = try #require(newer.string("signed_url"))
            let final = try #require(newer.string("final_url"))
            let new = Data([0x89, 0x50, 0x4E, 0x47]) + Data(repeating: 2, count: 200)
            #expect(try await luw.put(newerURL, body: new, contentType: "image/png").status == 200)

            #expect(try await TestHTTP.send(.GET, final).body == new)
            #expect(try await luw.finalize(final).status == 200)
            #expect(try await TestHTTP.send(.GET, final).body == new, "a fetch after finalize found the older PUT")
            try await ts.server.sweep()
            #expect(try await TestHTTP.send(.GET, final).body == new)
            let object = try #require(try await ts.server.state.store.object(at: "luwai/100/same.png"))
            #expect(object.md5 == MD5Hex.of(new) && object.deleteAt == nil, "finalized: kept")
            let oldKey = try #require(URLComponents(string: firstURL)?.path.split(separator: "/").dropFirst().joined(separator: "/"))
            #expect(try await MotoS3.object(bucket: bucket, key: oldKey) == nil, "the older PUT's bytes are gone")
        }
    }

    @Test("Luw: two sessions of one name, the newer PUT first and the older session's PUT last: finalize seals the last PUT, and no later fetch or sweep undoes it")
    func finalizeSealsTheLastPutWhicheverSessionMadeIt() async throws {
        try await Self.withS3Server { ts, bucket in
            let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
            let older = try await luw.upload(filename: "pic.png")
            let newer = try await luw.upload(filename: "pic.png")
            let olderURL = try #require(older.string("signed_url")), newerURL = try #require(newer.string("signed_url"))
            let final = try #require(newer.string("final_url"))
            let first = Data([0x89, 0x50, 0x4E, 0x47]) + Data(repeating: 2, count: 200)
            #expect(try await luw.put(newerURL, body: first, contentType: "image/png").status == 200)
            // S3 stamps a PUT to the second: the last one must come in a later second.
            let second = Int(Date().timeIntervalSince1970)
            #expect(await waitUntil(timeout: 5) { Int(Date().timeIntervalSince1970) > second })
            let last = Data([0x89, 0x50, 0x4E, 0x47]) + Data(repeating: 1, count: 100)
            #expect(try await luw.put(olderURL, body: last, contentType: "image/png").status == 200)

            #expect(try await luw.finalize(final).status == 200)
            #expect(try await TestHTTP.send(.GET, final).body == last)
            try await ts.server.sweep()
            #expect(try await TestHTTP.send(.GET, final).body == last)
            let object = try #require(try await ts.server.state.store.object(at: "luwai/100/pic.png"))
            #expect(object.md5 == MD5Hex.of(last) && object.deleteAt == nil, "finalized: kept")
            #expect(object.blobId.contains("/objects/"), "sealed: \(object.blobId)")
            let firstKey = try #require(URLComponents(string: newerURL)?.path.split(separator: "/").dropFirst().joined(separator: "/"))
            #expect(try await MotoS3.object(bucket: bucket, key: firstKey) == nil, "the earlier PUT's bytes are gone")
        }
    }

    @Test("Luw: a PUT of another session made just after a finalize, in the finalize's own second (S3 dates PUTs to the second), replaces the finalized file, as on disk")
    func aPutInTheFinalizesSecondReplacesIt() async throws {
        try await Self.withS3Server { ts, _ in
            let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
            let older = try await luw.upload(filename: "tie.png")
            let newer = try await luw.upload(filename: "tie.png")
            let olderURL = try #require(older.string("signed_url")), newerURL = try #require(newer.string("signed_url"))
            let final = try #require(newer.string("final_url"))
            let finalized = Data([0x89, 0x50, 0x4E, 0x47]) + Data(repeating: 2, count: 200)
            #expect(try await luw.put(newerURL, body: finalized, contentType: "image/png").status == 200)
            // Just after a second begins, so that the PUT below comes in the finalize's second.
            let second = Int(Date().timeIntervalSince1970)
            #expect(await waitUntil(timeout: 5, every: .milliseconds(2)) { Int(Date().timeIntervalSince1970) > second })
            #expect(try await luw.finalize(final).status == 200)
            let later = Data([0x89, 0x50, 0x4E, 0x47]) + Data(repeating: 3, count: 300)
            #expect(try await luw.put(olderURL, body: later, contentType: "image/png").status == 200)
            #expect(try await TestHTTP.send(.GET, final).body == later, "the PUT after the finalize is the file")
        }
    }

    @Test("a Luw upload nobody fetched before its session ended is kept 24 hours, as on disk, then deleted")
    func unseenLuwUploadsAreKeptThenSwept() async throws {
        let clock = ManualClock(start: Date())
        try await Self.withS3Server(clock: clock) { ts, bucket in
            let luw = LuwCalls(baseURL: ts.baseURL, key: ts.key)
            let answer = try await luw.upload(filename: "later.png")
            let signed = try #require(answer.string("signed_url"))
            let final = try #require(answer.string("final_url"))
            let png = Data([0x89, 0x50, 0x4E, 0x47, 1, 2, 3])
            #expect(try await luw.put(signed, body: png, contentType: "image/png").status == 200)
            let key = try #require(URLComponents(string: signed)?.path.split(separator: "/").dropFirst().joined(separator: "/"))
            clock.advance(by: 3601)
            try await ts.server.sweep()
            #expect(try await MotoS3.object(bucket: bucket, key: key) == png, "kept: the disk store keeps it 24 hours")
            #expect(try await TestHTTP.send(.GET, final).body == png)
            clock.advance(by: 24 * 3600)
            try await ts.server.sweep()
            #expect(try await MotoS3.object(bucket: bucket, key: key) == nil)
            #expect(try await TestHTTP.send(.GET, final, followingRedirects: false).status == 404)
        }
    }

    @Test("--blob-store URLs: bucket, prefix, endpoint, region and path style; bad ones are refused")
    func locationsParse() throws {
        let parsed = try S3BlobLocation.parse("s3://my-bucket/some/prefix?endpoint=http://127.0.0.1:9000&region=eu-west-1&path_style=1", environment: [:])
        #expect(parsed == S3BlobLocation(bucket: "my-bucket", prefix: "some/prefix/", endpoint: "http://127.0.0.1:9000", region: "eu-west-1", pathStyle: true))
        let plain = try S3BlobLocation.parse("s3://b", environment: ["AWS_REGION": "ap-south-1"])
        #expect(plain.endpoint == "https://s3.ap-south-1.amazonaws.com" && plain.prefix.isEmpty && !plain.pathStyle)
        #expect(try BlobStoreLocation.parse(nil) == .disk && BlobStoreLocation.parse("disk") == .disk)
        for bad in ["s3://", "gs://b", "s3://b?endpoint=ftp://x", "s3://b?path_style=maybe", "s3://b?acl=public"] {
            #expect(throws: BlobStoreError.self, "\(bad)") { try S3BlobLocation.parse(bad, environment: [:]) }
        }
    }
}
