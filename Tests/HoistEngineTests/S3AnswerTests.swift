import AsyncHTTPClient
import Foundation
import HoistTestSupport
import NIOCore
import NIOHTTP1
import SigV4
import Testing

@testable import HoistEngine

/// How the s3 dialect reads what the store answers, and what it leaves in the bucket when
/// an answer is lost or a run cannot go on: write-only keys, a no-clobber PUT that already
/// succeeded, encrypted objects' ETags, and multipart uploads a changed or vanished file
/// left behind.
@Suite(.serialized) struct S3AnswerTests {
    @Test func aKeyWithoutReadAccessStoresSinglePutsAndNoClobberMultipartUploads() async throws {
        try await S3Harness.with { s3 in
            let small = try s3.file("small.txt", size: 3000)
            let big = try s3.file("big.bin", size: 20 << 20, seed: 3)
            try await FaultProxy.with(upstream: s3.endpoint) { proxy in
                // What S3 answers a key with s3:PutObject only, for every HEAD.
                proxy.inject(.s3Error(status: 403, code: "AccessDenied", message: "Access Denied"), on: "HEAD ", times: 100)
                let engine = try s3.engine(s3.profile(via: proxy.baseURL, noClobber: true))
                let ids = await engine.add(paths: [small, big])
                let events = try await collect(engine, ids, timeout: .seconds(90))
                for (id, path) in zip(ids, [small, big]) {
                    let key = (path as NSString).lastPathComponent
                    #expect(events.completed(id) != nil, "\(key): \(events.story(id))")
                    #expect(try await s3.object(key) == (try Data(contentsOf: URL(fileURLWithPath: path))))
                }
                // The single PUT is held to its own answer: no HEAD after it. The multipart
                // upload asked once before its parts and went on, unable to know.
                #expect(proxy.requestLines.filter { $0.hasPrefix("HEAD ") }.count == 1, "\(proxy.requestLines)")
                await engine.shutdown()
            }
            #expect(try await s3.openUploads().isEmpty)
        }
    }

    @Test func aNoClobberPutWhoseAnswerWasLostFindsItsOwnObjectAndCompletes() async throws {
        try await S3Harness.with { s3 in
            let path = try s3.file("lost.txt", size: 5000)
            try await FaultProxy.with(upstream: s3.endpoint) { proxy in
                proxy.inject(.loseAnswer, on: "PUT ")
                let engine = try s3.engine(s3.profile(via: proxy.baseURL, noClobber: true))
                let ids = await engine.add(paths: [path])
                let events = try await collect(engine, ids, timeout: .seconds(60))
                let local = try Data(contentsOf: URL(fileURLWithPath: path))
                #expect(events.completed(ids[0])?.md5 == MD5Hex.of(local), "\(events.story(ids[0]))")
                // The retry met the object its first attempt stored (412), and found it to be these bytes.
                let puts = proxy.answeredRequests.filter { $0.line.hasPrefix("PUT ") }.map(\.status)
                #expect(puts == [200, 412], "\(puts)")
                #expect(try await s3.object("lost.txt") == local)
                await engine.shutdown()
            }
        }
    }

    @Test func aNoClobberMultipartCompleteWhoseAnswerWasLostFindsItsOwnObjectAndCompletes() async throws {
        try await S3Harness.with { s3 in
            let path = try s3.file("lost-complete.bin", size: 20 << 20, seed: 4)
            try await FaultProxy.with(upstream: s3.endpoint) { proxy in
                // The complete is made and its answer lost; the retry meets the object it made,
                // as S3 answers a complete with If-None-Match then (moto completes it again).
                proxy.inject(.loseAnswer, on: "POST /\(s3.bucket)/lost-complete.bin?uploadId=")
                proxy.inject(.s3Error(status: 412, code: "PreconditionFailed", message: "At least one of the pre-conditions you specified did not hold"),
                             on: "POST /\(s3.bucket)/lost-complete.bin?uploadId=")
                let engine = try s3.engine(s3.profile(via: proxy.baseURL, noClobber: true))
                let ids = await engine.add(paths: [path])
                let events = try await collect(engine, ids, timeout: .seconds(90))
                let stored = try await s3.etag("lost-complete.bin")
                #expect(events.completed(ids[0])?.md5 == stored, "\(events.story(ids[0]))")
                #expect(stored?.hasSuffix("-3") == true, "\(String(describing: stored))")
                // Found by its ETag: no byte sent twice, no third complete.
                #expect(FaultProxy.partNumbers(proxy.requestLines).count == 3, "\(proxy.requestLines)")
                #expect(proxy.requestLines.filter { $0.contains("?uploadId=") && $0.hasPrefix("POST ") }.count == 2, "\(proxy.requestLines)")
                #expect(try await s3.object("lost-complete.bin") == (try Data(contentsOf: URL(fileURLWithPath: path))))
                await engine.shutdown()
            }
            #expect(try await s3.openUploads().isEmpty)
        }
    }

    @Test func aNoClobberMultipartCompleteRefusedForAnIdenticalObjectCompletesAndAbortsItsOwnUpload() async throws {
        try await S3Harness.with { s3 in
            let path = try s3.file("same-late.bin", size: 20 << 20, seed: 6)
            // The same bytes, by hoist's parts, already at the key.
            let first = try s3.engine(s3.profile())
            _ = try await collect(first, await first.add(paths: [path]), timeout: .seconds(60))
            await first.shutdown()
            let stored = try await s3.etag("same-late.bin")
            try await FaultProxy.with(upstream: s3.endpoint) { proxy in
                // The HEAD before the parts finds nothing (the object came after it), and the
                // complete's If-None-Match then meets it.
                proxy.inject(.s3Error(status: 404, code: "NoSuchKey", message: "not there yet"), on: "HEAD ")
                proxy.inject(.s3Error(status: 412, code: "PreconditionFailed", message: "At least one of the pre-conditions you specified did not hold"),
                             on: "POST /\(s3.bucket)/same-late.bin?uploadId=")
                let engine = try s3.engine(s3.profile(via: proxy.baseURL, noClobber: true))
                let ids = await engine.add(paths: [path])
                let events = try await collect(engine, ids, timeout: .seconds(90))
                #expect(events.completed(ids[0])?.md5 == stored, "\(events.story(ids[0]))")
                #expect(FaultProxy.partNumbers(proxy.requestLines).count == 3, "\(proxy.requestLines)")
                #expect(proxy.requestLines.contains { $0.hasPrefix("DELETE /\(s3.bucket)/same-late.bin?uploadId=") }, "\(proxy.requestLines)")
                await engine.shutdown()
            }
            // Nothing left behind for `hoist gc`.
            #expect(try await s3.openUploads().isEmpty)
            #expect(try await s3.etag("same-late.bin") == stored)
        }
    }

    @Test func aMultipartUploadWhoseFileChangedOrWentSinceTheKillIsAborted() async throws {
        try await S3Harness.with { s3 in
            let changing = try s3.file("changing.bin", size: 40 << 20, seed: 1)
            let going = try s3.file("going.bin", size: 40 << 20, seed: 2)
            let journalPath = try TempDirectory.make(prefix: "hoist-journal") + "/journal.sqlite"
            let first = try s3.engine(s3.profile(), journal: journalPath, rateLimit: 8 << 20, partJobs: 1)
            _ = await first.add(paths: [changing, going])
            let journal = try Journal.open(path: journalPath)
            let endpoint = "s3-test:" + s3.bucket
            let bothStarted = await waitUntil(timeout: 60) {
                let sessions = (try? journal.unfinished(endpoint: endpoint))?.compactMap { $0.session?.multipart } ?? []
                return sessions.count == 2
            }
            #expect(bothStarted)
            await first.shutdown(keepingUnfinished: true)
            #expect(await waitUntil(timeout: 30) { (try? await s3.openUploads().count) == 2 })

            try s3.file("changing.bin", size: 40 << 20, seed: 9)
            try FileManager.default.removeItem(atPath: going)
            let second = try s3.engine(s3.profile(), journal: journalPath)
            let ids = await second.add(paths: [changing, going])
            let events = try await collect(second, ids, timeout: .seconds(120))
            #expect(events.completed(ids[0]) != nil, "\(events.story(ids[0]))")
            #expect(events.terminal(ids[1]).map { if case .failed = $0 { true } else { false } } == true)
            await second.shutdown()
            // The new object is whole, and neither of the first run's uploads is left open.
            #expect(try await s3.object("changing.bin") == (try Data(contentsOf: URL(fileURLWithPath: changing))))
            #expect(try await s3.openUploads().isEmpty)
            #expect(try journal.pendingAborts(endpoint: endpoint).isEmpty)
        }
    }

    @Test("a CreateMultipartUpload whose answer is lost, then asked again in the same run: the upload the store opened for it is aborted when the job ends, the run's own is completed")
    func aLostCreateMultipartAnswerLeavesNoOpenUpload() async throws {
        try await S3Harness.with { s3 in
            let path = try s3.file("lost-create.bin", size: 20 << 20, seed: 5)
            // An upload of another key that starts with this one: not this job's.
            let other = try await MotoS3.openMultipartUpload(bucket: s3.bucket, key: "lost-create.bin.other")
            try await FaultProxy.with(upstream: s3.endpoint) { proxy in
                // The store opens the upload; the engine never hears of it and asks again.
                proxy.inject(.loseAnswer, on: "POST /\(s3.bucket)/lost-create.bin?uploads")
                // S3 lists each upload with the time it began; moto says 2010 for every one.
                // Dated now, just before the job's first create, as S3 would date the lost one.
                proxy.rewriteAnswers("2010-11-10T20:48:33.000Z", with: Self.iso8601Millis(Date()))
                let engine = try s3.engine(s3.profile(via: proxy.baseURL))
                let ids = await engine.add(paths: [path])
                let events = try await collect(engine, ids, timeout: .seconds(90))
                #expect(events.completed(ids[0]) != nil, "\(events.story(ids[0]))")
                // The sweep runs as the job ends, after its `completed` event.
                await engine.shutdown()
                let creates = proxy.requestLines.filter { $0.hasPrefix("POST /\(s3.bucket)/lost-create.bin?uploads") }
                #expect(creates.count == 2, "\(proxy.requestLines)")
                let aborts = proxy.requestLines.filter { $0.hasPrefix("DELETE /\(s3.bucket)/lost-create.bin?uploadId=") }
                #expect(aborts.count == 1, "the lost one's, not the completed one's: \(proxy.requestLines)")
            }
            let open = try await s3.openUploads()
            #expect(open.map(\.key) == ["lost-create.bin.other"] && open.first?.uploadID == other, "\(open)")
            #expect(try await s3.object("lost-create.bin") == (try Data(contentsOf: URL(fileURLWithPath: path))))
        }
    }

    @Test("a run killed between CreateMultipartUpload and its journal write: the next run over the file aborts the upload it left, and uploads the file")
    func aKilledCreateMultipartIsAbortedByTheNextRun() async throws {
        try await S3Harness.with { s3 in
            let path = try s3.file("orphaned.bin", size: 20 << 20, seed: 6)
            let journalPath = try TempDirectory.make(prefix: "hoist-journal") + "/journal.sqlite"
            let journal = try Journal.open(path: journalPath)
            let row = try journal.insert(endpoint: "s3-test:" + s3.bucket, file: try FileIdentity.of(path))
            let intent = Date()
            try journal.update(row, state: .creating, requestedName: "orphaned.bin", intentAt: intent)
            let orphan = try await MotoS3.openMultipartUpload(bucket: s3.bucket, key: "orphaned.bin")
            try await FaultProxy.with(upstream: s3.endpoint) { proxy in
                proxy.rewriteAnswers("2010-11-10T20:48:33.000Z", with: Self.iso8601Millis(intent))
                let engine = try s3.engine(s3.profile(via: proxy.baseURL), journal: journalPath)
                let ids = await engine.add(paths: [path])
                let events = try await collect(engine, ids, timeout: .seconds(90))
                await engine.shutdown()
                #expect(events.completed(ids[0]) != nil, "\(events.story(ids[0]))")
                #expect(proxy.requestLines.contains { $0.hasPrefix("DELETE /\(s3.bucket)/orphaned.bin?uploadId=\(orphan) ") },
                        "\(proxy.requestLines)")
            }
            #expect(try await s3.openUploads().isEmpty)
            #expect(try await s3.object("orphaned.bin") == (try Data(contentsOf: URL(fileURLWithPath: path))))
        }
    }

    @Test("a snapshot tree of hard links (`cp -al`, `rsync --link-dest`): every name becomes its key, none is dropped as the same file")
    func hardLinkedNamesAreEachUploaded() async throws {
        try await S3Harness.with { s3 in
            let root = s3.files + "/snaps"
            let first = try s3.file("snaps/one/notes.txt", size: 3000)
            try FileManager.default.createDirectory(atPath: root + "/two", withIntermediateDirectories: true)
            try FileManager.default.linkItem(atPath: first, toPath: root + "/two/notes.txt")
            let engine = try s3.engine(s3.profile())
            let ids = await engine.add(paths: [root])
            let events = try await collect(engine, ids, timeout: .seconds(60))
            await engine.shutdown()
            #expect(ids.count == 2 && Set(ids).count == 2, "\(ids)")
            for id in ids { #expect(events.completed(id) != nil, "\(events.story(id))") }
            let bytes = try Data(contentsOf: URL(fileURLWithPath: first))
            #expect(try await s3.object("snaps/one/notes.txt") == bytes)
            #expect(try await s3.object("snaps/two/notes.txt") == bytes)
        }
    }

    static func iso8601Millis(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
        return formatter.string(from: date)
    }

    @Test func twoFilesOfOneRunThatGoToTheSameKeyAreNotBothStored() async throws {
        try await S3Harness.with { s3 in
            let first = try s3.file("a/same.txt", size: 1000, seed: 1)
            let second = try s3.file("b/same.txt", size: 1000, seed: 2)
            let other = try s3.file("b/other.txt", size: 1000, seed: 3)
            let engine = try s3.engine(s3.profile(prefix: "in/"))
            let ids = await engine.add(paths: [first, second, other])
            let events = try await collect(engine, ids, timeout: .seconds(60))
            #expect(events.completed(ids[0])?.id == "in/same.txt", "\(events.story(ids[0]))")
            guard case .failed(let clash)? = events.terminal(ids[1]) else { Issue.record("\(events.story(ids[1]))"); return }
            #expect(clash.codeName == "nameClash" && clash.message.contains(first), "\(clash.message)")
            #expect(events.completed(ids[2]) != nil)
            #expect(try await s3.object("in/same.txt") == (try Data(contentsOf: URL(fileURLWithPath: first))))
            // Once the first has ended, the second may go (a retry replaces the object, as asked).
            await engine.retry(ids[1])
            let again = try await collect(engine, [ids[1]], timeout: .seconds(60))
            #expect(again.completed(ids[1]) != nil, "\(again.story(ids[1]))")
            await engine.shutdown()
        }
    }

    @Test func credentialsTheStoreDoesNotKnowHaltTheRun() async throws {
        try await S3Harness.with { s3 in
            let paths = try (0..<4).map { try s3.file("k\($0).txt", size: 100 + $0) }
            try await FaultProxy.with(upstream: s3.endpoint) { proxy in
                proxy.inject(.s3Error(status: 403, code: "InvalidAccessKeyId",
                                      message: "The AWS Access Key Id you provided does not exist in our records."), on: "PUT ", times: 10)
                let engine = try s3.engine(s3.profile(via: proxy.baseURL))
                await engine.setConcurrency(1)
                let ids = await engine.add(paths: paths)
                let events = try await collect(engine, ids, timeout: .seconds(60))
                guard case .failed(let error)? = events.terminal(ids[0]) else { Issue.record("\(events.story(ids[0]))"); return }
                #expect(error.haltsRun && error.serverCode == "InvalidAccessKeyId")
                // One request's signature refused is that request's: the run goes on.
                #expect(!EngineError.http(status: 403, code: "SignatureDoesNotMatch", message: "no").haltsRun)
                // The others never sent a request of their own.
                #expect(proxy.requestLines.filter { $0.hasPrefix("PUT ") }.count == 1, "\(proxy.requestLines)")
                for id in ids.dropFirst() {
                    #expect(events.terminal(id) == .failed(error))
                }
                await engine.shutdown()
            }
        }
    }

    @Test func onlyAnETagAStoreGivesAsTheBodysMD5IsHeldToIt() {
        let md5 = "9e107d9d372bb6826bd81d3542a419d6"
        #expect(S3ETag.md5(in: HTTPHeaders([("ETag", "\"\(md5.uppercased())\"")])) == md5)
        #expect(S3ETag.md5(in: HTTPHeaders([("ETag", " W/\"\(md5)\"\t")])) == md5)
        #expect(S3ETag.bare("\"abc-3\"") == "abc-3" && S3ETag.bare(" W/\"x\" ") == "x" && S3ETag.bare("\"\"") == "")
        #expect(S3ETag.md5(in: HTTPHeaders([("ETag", "\"\(md5.dropLast())g\"")])) == nil)
        #expect(!S3ETag.isMD5(String(repeating: "\u{FF10}", count: 32)), "fullwidth digits are not hex here")
        #expect(S3ETag.md5(in: HTTPHeaders([("ETag", "\"\(md5)\""), ("x-amz-server-side-encryption", "AES256")])) == md5)
        // KMS and customer keys give ETags of the same shape that are not the MD5.
        #expect(S3ETag.md5(in: HTTPHeaders([("ETag", "\"\(md5)\""), ("x-amz-server-side-encryption", "aws:kms")])) == nil)
        #expect(S3ETag.md5(in: HTTPHeaders([("ETag", "\"\(md5)\""), ("x-amz-server-side-encryption", "aws:kms:dsse")])) == nil)
        #expect(S3ETag.md5(in: HTTPHeaders([("ETag", "\"\(md5)\""), ("x-amz-server-side-encryption-customer-algorithm", "AES256")])) == nil)
        #expect(S3ETag.md5(in: HTTPHeaders([("ETag", "\"\(md5)-3\"")])) == nil)
        #expect(S3ETag.md5(in: HTTPHeaders()) == nil)
    }
}

/// What S3's `RequestTimeTooSkewed` refusal teaches, and what is signed by it.
@Suite struct S3ClockSkewTests {
    @Test("the store's time is read from the refusal's ServerTime, else its Date header; PUTs and presigned GETs to that host are dated by it")
    func theRefusalSetsTheSigningClock() throws {
        let host = "skew-\(UUID().uuidString.prefix(8).lowercased()).example"
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the current time is too large.</Message>\
            <RequestTime>20261204T100000Z</RequestTime><ServerTime>2030-01-02T03:04:05Z</ServerTime><MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds></Error>
            """
        let error = HTTPTransport.failure(HTTPTransport.Answer(status: 403, body: ByteBuffer(string: xml)), url: "https://\(host)/bucket/key")
        #expect(error.serverCode == "RequestTimeTooSkewed" && error.isTransient)
        let learnt = S3ClockSkew.now(host: host + ":443")
        #expect(abs(learnt.timeIntervalSince(ISO8601.parse("2030-01-02T03:04:05Z")!)) < 60)

        let location = S3Location(endpoint: "https://\(host)", bucket: "bucket", pathStyle: true, region: "us-east-1")
        let transport = DialectTransport(endpoint: "https://\(host)", key: S3Harness.key, client: HTTPClient.shared, headers: [])
        let target = try S3Call(location: location, transport: transport).putTarget(key: "k", query: [], headers: [])
        let date = try #require(target.headers.first { $0.name.lowercased() == "x-amz-date" }?.value)
        #expect(date.hasPrefix("20300102T03"), "\(date)")

        // No ServerTime: the Date header says it.
        let other = "skew-\(UUID().uuidString.prefix(8).lowercased()).example"
        let bare = "<Error><Code>RequestTimeTooSkewed</Code><Message>too large</Message></Error>"
        _ = HTTPTransport.failure(HTTPTransport.Answer(status: 403, body: ByteBuffer(string: bare), headers: ["Date": "Wed, 02 Jan 2030 03:04:05 GMT"]),
                                  url: "http://\(other):9000/b")
        #expect(abs(S3ClockSkew.now(host: other).timeIntervalSince(ISO8601.parse("2030-01-02T03:04:05Z")!)) < 60)
        // A host never refused signs by this machine's clock.
        #expect(abs(S3ClockSkew.now(host: "never-refused.example").timeIntervalSinceNow) < 5)
    }
}

