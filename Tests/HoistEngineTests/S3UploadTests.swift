import Foundation
import HoistTestSupport
import Testing

@testable import HoistEngine

/// The s3 dialect against moto's S3 server: single PUTs, multipart uploads, resume, cancel,
/// S3's errors and `--no-clobber`.
@Suite(.serialized) struct S3UploadTests {
    @Test func singlePutsStoreTheBytesUnderKeysThatNeedEncoding() async throws {
        try await S3Harness.with { s3 in
            let names = ["plain.txt", "my file+1.bin", "caf\u{E9}.txt", "cafe\u{301}.txt", "odd?#%.bin", "empty.txt"]
            let paths = try names.enumerated().map { index, name in
                try s3.file(name, size: name == "empty.txt" ? 0 : 50_000 + index, seed: UInt32(index + 1))
            }
            let engine = try s3.engine(s3.profile(prefix: "in/"))
            let ids = await engine.add(paths: paths)
            let events = try await collect(engine, ids)
            for (index, id) in ids.enumerated() {
                // Bound first, so a failure prints this job's story rather than every event.
                let outcome = events.completed(id)
                let done = try #require(outcome, "\(names[index]): \(events.story(id))")
                #expect(done.id == "in/" + names[index])
                let local = try Data(contentsOf: URL(fileURLWithPath: paths[index]))
                let stored = try #require(try await s3.object("in/" + names[index]), "no object for \(names[index])")
                #expect(stored == local, "\(names[index])")
                #expect(done.md5 == MD5Hex.of(local))
                #expect(try await MotoS3.etag(bucket: s3.bucket, key: "in/" + names[index]) == MD5Hex.of(local))
            }
            // é in NFC and in NFD are two keys, as they are two file names.
            let keys = Set(try await MotoS3.keys(bucket: s3.bucket).map { Array($0.utf8) })
            #expect(keys.contains(Array("in/caf\u{E9}.txt".utf8)) && keys.contains(Array("in/cafe\u{301}.txt".utf8)))
            await engine.shutdown()
        }
    }

    @Test func aLargeFileGoesAsPartsInParallelAndLeavesNoOpenUpload() async throws {
        try await S3Harness.with { s3 in
            let path = try s3.file("big.bin", size: 40 << 20)
            try await FaultProxy.with(upstream: s3.endpoint) { proxy in
                let engine = try s3.engine(s3.profile(via: proxy.baseURL), partJobs: 3)
                let ids = await engine.add(paths: [path])
                let events = try await collect(engine, ids, timeout: .seconds(120))
                let done = try #require(events.completed(ids[0]), "\(String(describing: events.terminal(ids[0])))")
                let stored = try #require(try await s3.object("big.bin"))
                #expect(stored == (try Data(contentsOf: URL(fileURLWithPath: path))))
                // 40 MiB in 8 MiB parts: five parts, each stored once, and S3's multipart ETag.
                #expect(proxy.storedPartNumbers.sorted() == [1, 2, 3, 4, 5])
                #expect(done.md5.hasSuffix("-5"))
                #expect(try await MotoS3.etag(bucket: s3.bucket, key: "big.bin") == done.md5)
                #expect(try await s3.openUploads().isEmpty)
                // Progress never goes back but after a `retrying` (a new attempt counts again:
                // moto once closed a connection under a full run's load), and reaches the size
                // only at the end.
                var last: Int64 = 0, back: (Int64, Int64)?
                for kind in events.kinds(ids[0]) {
                    if case .retrying = kind { last = 0 }
                    guard case .progress(let now, _) = kind else { continue }
                    if now < last, back == nil { back = (last, now) }
                    last = now
                }
                #expect(back == nil && events.progress(ids[0]).last == 40 << 20,
                        "went back \(String(describing: back)); the job's events: \(events.kinds(ids[0]).filter { if case .progress = $0 { false } else { true } })")
                await engine.shutdown()
            }
        }
    }

    /// Starts a multipart upload of `path` (slowed, two parts at a time) through `proxy`, and
    /// stops its engine, keeping the upload, once the journal holds at least two parts; the
    /// numbers of the parts it holds then.
    static func stopAfterTwoParts(of path: String, s3: S3Harness, via proxy: FaultProxy, journal journalPath: String) async throws -> Set<Int> {
        let first = try s3.engine(s3.profile(via: proxy.baseURL), journal: journalPath, rateLimit: 12 << 20, partJobs: 2)
        _ = await first.add(paths: [path])
        let journal = try Journal.open(path: journalPath)
        let uploadID = { () -> String? in
            (try? journal.unfinished(endpoint: "s3-test:" + s3.bucket))?.first?.session?.multipart?.uploadID
        }
        let someParts = await waitUntil(timeout: 60) {
            guard let id = uploadID() else { return false }
            return ((try? journal.parts(row: 1, uploadID: id).count) ?? 0) >= 2
        }
        #expect(someParts)
        await first.shutdown(keepingUnfinished: true)
        let id = try #require(uploadID())
        return Set(try journal.parts(row: 1, uploadID: id).map(\.number))
    }

    @Test("a multipart upload resumed after its file was rewritten in place with its mtime put back: the parts read before the change are checked against the file, the changed one is sent again, the object is the file as it is now")
    func resumedPartsAreCheckedAfterAnInPlaceRewrite() async throws {
        try await S3Harness.with { s3 in
            let path = try s3.file("rewritten.bin", size: 40 << 20)
            let journalPath = try TempDirectory.make(prefix: "hoist-journal") + "/journal.sqlite"
            try await FaultProxy.with(upstream: s3.endpoint) { proxy in
                let kept = try await Self.stopAfterTwoParts(of: path, s3: s3, via: proxy, journal: journalPath).sorted()
                let changed = try #require(kept.first)

                // The part's first bytes rewritten, size and mtime as they were (`touch -r`):
                // the journal's identity of the file cannot tell.
                let reference = path + ".mtime"
                #expect(try await Shell.run("cp -p \(Tmux.quote(path)) \(Tmux.quote(reference))").status == 0)
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
                try handle.seek(toOffset: UInt64(changed - 1) * (8 << 20))
                try handle.write(contentsOf: Data(repeating: 0xEE, count: 4096))
                try handle.close()
                #expect(try await Shell.run("touch -r \(Tmux.quote(reference)) \(Tmux.quote(path))").status == 0)
                try FileManager.default.removeItem(atPath: reference)
                let before = proxy.requestLines.count

                let second = try s3.engine(s3.profile(via: proxy.baseURL), journal: journalPath)
                let ids = await second.add(paths: [path])
                let events = try await collect(second, ids, timeout: .seconds(120))
                #expect(events.completed(ids[0]) != nil, "\(String(describing: events.terminal(ids[0])))")
                #expect(try await s3.object("rewritten.bin") == (try Data(contentsOf: URL(fileURLWithPath: path))))
                let resent = Set(FaultProxy.partNumbers(Array(proxy.requestLines[before...])))
                #expect(resent.contains(changed), "part \(changed) changed, yet was not sent again: \(resent)")
                // The check is said as it runs: from 0 to every byte of the kept parts, in
                // order, before the resume and before any byte is sent.
                let kinds = events.kinds(ids[0])
                let checks = kinds.compactMap { if case .verifying(let checked, let total) = $0 { (checked, total) } else { nil } }
                let checkedTotal = try #require(checks.first?.1)
                #expect(checkedTotal >= Int64(kept.count) * (8 << 20), "\(checks)")
                #expect(checks.first?.0 == 0 && checks.last?.0 == checkedTotal && checks.allSatisfy { $0.1 == checkedTotal }, "\(checks)")
                #expect(zip(checks, checks.dropFirst()).allSatisfy { $0.0 < $1.0 }, "\(checks)")
                let lastCheck = kinds.lastIndex { if case .verifying = $0 { true } else { false } } ?? .max
                #expect(lastCheck < kinds.firstIndex { if case .resumed = $0 { true } else { false } } ?? -1)
                #expect(lastCheck < kinds.firstIndex { if case .progress(let sent, _) = $0 { sent > 0 } else { false } } ?? .max)
                // The other journaled parts still hash to what the store holds: kept, not sent.
                #expect(resent.isDisjoint(with: kept.dropFirst()), "kept \(kept), sent again \(resent)")
                await second.shutdown()
            }
        }
    }

    @Test func aStoppedMultipartUploadResumesWithOnlyTheMissingParts() async throws {
        try await S3Harness.with { s3 in
            let path = try s3.file("resume.bin", size: 48 << 20)
            let journalPath = try TempDirectory.make(prefix: "hoist-journal") + "/journal.sqlite"
            try await FaultProxy.with(upstream: s3.endpoint) { proxy in
                let kept = try await Self.stopAfterTwoParts(of: path, s3: s3, via: proxy, journal: journalPath)
                let before = proxy.requestLines.count

                let second = try s3.engine(s3.profile(via: proxy.baseURL), journal: journalPath)
                let ids = await second.add(paths: [path])
                let events = try await collect(second, ids, timeout: .seconds(120))
                #expect(events.completed(ids[0]) != nil, "\(String(describing: events.terminal(ids[0])))")
                // The parts the store held are announced once, as held, before any byte moves:
                // no front end counts them as sent by this run. (Parts the kill cut off from
                // the journal but the store took are checked and held too: at least the journaled.)
                let kinds = events.kinds(ids[0])
                // It names its key first, as a new session would (NDJSON lines carry `"key"` from there on).
                #expect(events.sessions(ids[0]) == ["resume.bin"])
                #expect(kinds.firstIndex { if case .sessionCreated = $0 { true } else { false } }
                    ?? .max < kinds.firstIndex { if case .resumed = $0 { true } else { false } } ?? -1)
                let resumed = kinds.compactMap { if case .resumed(let held, _) = $0 { held } else { nil } }
                #expect(resumed.count == 1 && resumed[0] >= Int64(kept.count) * (8 << 20), "\(resumed)")
                let firstMove = kinds.firstIndex { if case .progress(let sent, _) = $0 { sent > 0 } else { false } }
                let announced = kinds.firstIndex { if case .resumed = $0 { true } else { false } }
                #expect(announced != nil && firstMove.map { announced! < $0 } ?? true)
                let resent = FaultProxy.partNumbers(Array(proxy.requestLines[before...]))
                #expect(Set(resent).isDisjoint(with: kept), "parts \(kept) were journaled, yet sent again: \(resent)")
                // A PUT that failed is sent again (that is a retry); a part the store took never is.
                let stored = proxy.storedPartNumbers
                #expect(stored.count == Set(stored).count, "a part was stored twice: \(stored)")
                // A part the store took as the engine stopped is checked, not sent again; the
                // byte-identical object below shows that every part is there.
                #expect(try await s3.object("resume.bin") == (try Data(contentsOf: URL(fileURLWithPath: path))))
                #expect(try await s3.openUploads().isEmpty)
                await second.shutdown()
            }
        }
    }

    @Test("a multipart upload resumed under --no-clobber asks first: an object put at its key since fails it with no part sent and its upload aborted; the same bytes there complete it, nothing sent", arguments: [false, true])
    func aResumedNoClobberUploadAsksFirst(sameBytes: Bool) async throws {
        try await S3Harness.with { s3 in
            let path = try s3.file("resume.bin", size: 48 << 20)
            let journalPath = try TempDirectory.make(prefix: "hoist-journal") + "/journal.sqlite"
            try await FaultProxy.with(upstream: s3.endpoint) { proxy in
                _ = try await Self.stopAfterTwoParts(of: path, s3: s3, via: proxy, journal: journalPath)
                let theirs = sameBytes ? try Data(contentsOf: URL(fileURLWithPath: path)) : Data("another writer's".utf8)
                try await MotoS3.put(bucket: s3.bucket, key: "resume.bin", body: theirs)
                let before = proxy.requestLines.count

                let second = try s3.engine(s3.profile(via: proxy.baseURL, noClobber: true), journal: journalPath)
                let ids = await second.add(paths: [path])
                let events = try await collect(second, ids, timeout: .seconds(120))
                await second.shutdown()
                let after = Array(proxy.requestLines[before...])
                #expect(FaultProxy.partNumbers(after).isEmpty, "parts sent: \(after)")
                if sameBytes {
                    #expect(events.completed(ids[0]) != nil, "\(events.story(ids[0]))")
                } else {
                    #expect(events.terminal(ids[0]).flatMap { if case .failed(let error) = $0 { error } else { nil } }?.isAlreadyExists == true,
                            "\(events.story(ids[0]))")
                }
                #expect(try await s3.object("resume.bin") == theirs)
                #expect(try await s3.openUploads().isEmpty)
            }
        }
    }

    @Test("an upload stored whose `completed` the journal cannot write (its disk full) is reported completed; the next run sends no byte and finds it stored (a single PUT and a multipart upload)", arguments: [false, true])
    func aStoredUploadTheJournalCannotRecordIsStillCompleted(multipart: Bool) async throws {
        try await S3Harness.with { s3 in
            let name = multipart ? "parts.bin" : "single.bin"
            let path = try s3.file(name, size: multipart ? 12 << 20 : 1 << 20)
            let journalPath = try TempDirectory.make(prefix: "hoist-journal") + "/journal.sqlite"
            let profile = s3.profile(threshold: 8 << 20)
            let journal = try Journal.open(path: journalPath)
            try await FullJournal.refuse(["completed"], in: journalPath)
            let first = try s3.engine(profile, journal: journalPath)
            let ids = await first.add(paths: [path])
            let events = try await collect(first, ids, timeout: .seconds(120))
            await first.shutdown()
            #expect(events.completed(ids[0]) != nil, "\(events.story(ids[0]))")
            #expect(try journal.latest(endpoint: "s3-test:" + s3.bucket, file: try FileIdentity.of(path))?.state != .completed)

            try await FullJournal.lift(in: journalPath)
            try await FaultProxy.with(upstream: s3.endpoint) { proxy in
                let second = try s3.engine(s3.profile(via: proxy.baseURL, threshold: 8 << 20), journal: journalPath)
                let next = await second.add(paths: [path])
                let rerun = try await collect(second, next, timeout: .seconds(120))
                await second.shutdown()
                #expect(rerun.completed(next[0]) != nil, "\(rerun.story(next[0]))")
                // No byte sent. A single PUT's row already says the store took it; a multipart
                // upload's complete is asked again (or the object looked at).
                #expect(!proxy.requestLines.contains { $0.hasPrefix("PUT") }, "\(proxy.requestLines)")
                #expect(proxy.requestLines.isEmpty != multipart, "\(proxy.requestLines)")
            }
            #expect(try journal.latest(endpoint: "s3-test:" + s3.bucket, file: try FileIdentity.of(path))?.state == .completed)
            #expect(try await s3.object(name) == (try Data(contentsOf: URL(fileURLWithPath: path))))
            #expect(try await s3.openUploads().isEmpty)
        }
    }

    @Test("an S3 single PUT stored when the journal can record nothing more (its disk full) is reported completed: no call was left to make; a multipart upload whose complete cannot be journaled first is not completed (nothing is called without its intent)", arguments: [false, true])
    func aStoredPutTheJournalCannotRecordAtAllIsStillCompleted(multipart: Bool) async throws {
        try await S3Harness.with { s3 in
            let name = multipart ? "full-parts.bin" : "full-single.bin"
            let path = try s3.file(name, size: multipart ? 12 << 20 : 1 << 20)
            let journalPath = try TempDirectory.make(prefix: "hoist-journal") + "/journal.sqlite"
            _ = try Journal.open(path: journalPath)
            try await FullJournal.refuse(["completing", "completed"], in: journalPath)
            let engine = try s3.engine(s3.profile(threshold: 8 << 20), journal: journalPath)
            let ids = await engine.add(paths: [path])
            let events = try await collect(engine, ids, timeout: .seconds(120))
            await engine.shutdown()
            if multipart {
                guard case .failed(let error)? = events.terminal(ids[0]) else { Issue.record("\(events.story(ids[0]))"); return }
                #expect(error.message.contains("disk is full"), "\(error.message)")
                #expect(try await s3.object(name) == nil, "no complete was called")
            } else {
                #expect(events.completed(ids[0])?.md5 == (try EngineHarness.md5(path)), "\(events.story(ids[0]))")
                #expect(try await s3.object(name) == (try Data(contentsOf: URL(fileURLWithPath: path))))
            }
        }
    }

    @Test func cancelAbortsTheMultipartUpload() async throws {
        try await S3Harness.with { s3 in
            let path = try s3.file("cancel.bin", size: 40 << 20)
            let engine = try s3.engine(s3.profile(), rateLimit: 8 << 20, partJobs: 1)
            let log = EventLog()
            let reading = log.record(engine)
            let ids = await engine.add(paths: [path])
            #expect(await waitUntil(timeout: 60) { (try? await s3.openUploads().count) == 1 })
            #expect(await waitUntil(timeout: 60) { log.events.contains { $0.job == ids[0] && { if case .progress(let sent, _) = $0.kind { sent > 0 } else { false } }($0) } })
            await engine.cancel(ids[0])
            #expect(await waitUntil(timeout: 30) { log.ended(ids[0]) })
            #expect(log.events.last { $0.job == ids[0] }?.kind == .cancelled)
            #expect(try await s3.openUploads().isEmpty)
            #expect(try await s3.object("cancel.bin") == nil)
            await engine.shutdown()
            await reading.value
        }
    }

    @Test func anAbortThatKeepsFailingIsJournaledAndDoneByTheNextRun() async throws {
        try await S3Harness.with { s3 in
            let path = try s3.file("abort.bin", size: 40 << 20)
            let journalPath = try TempDirectory.make(prefix: "hoist-journal") + "/journal.sqlite"
            try await FaultProxy.with(upstream: s3.endpoint) { proxy in
                proxy.inject(.s3Error(status: 503, code: "ServiceUnavailable", message: "Please reduce your request rate."), on: "DELETE ", times: 10)
                let engine = try s3.engine(s3.profile(via: proxy.baseURL), journal: journalPath, rateLimit: 8 << 20, partJobs: 1)
                let log = EventLog()
                let reading = log.record(engine)
                let ids = await engine.add(paths: [path])
                #expect(await waitUntil(timeout: 60) { (try? await s3.openUploads().count) == 1 })
                await engine.cancel(ids[0])
                #expect(await waitUntil(timeout: 30) { log.ended(ids[0]) })
                #expect(proxy.faultsFired == 4, "four abort attempts")
                let journal = try Journal.open(path: journalPath)
                #expect(try journal.pendingAborts(endpoint: "s3-test:" + s3.bucket).count == 1)
                #expect(try await s3.openUploads().count == 1)
                await engine.shutdown()
                await reading.value
            }
            // The next run (no faults now) aborts it on start.
            let next = try s3.engine(s3.profile(), journal: journalPath)
            await next.pendingAborts?.value
            #expect(try await s3.openUploads().isEmpty)
            #expect(try Journal.open(path: journalPath).pendingAborts(endpoint: "s3-test:" + s3.bucket).isEmpty)
            await next.shutdown()
        }
    }

    @Test func anUploadIdTheStoreForgotStartsAgainFromTheFirstPartAndSaysSo() async throws {
        try await S3Harness.with { s3 in
            let path = try s3.file("forgot.bin", size: 40 << 20)
            let journalPath = try TempDirectory.make(prefix: "hoist-journal") + "/journal.sqlite"
            let first = try s3.engine(s3.profile(), journal: journalPath, rateLimit: 8 << 20, partJobs: 1)
            _ = await first.add(paths: [path])
            let journal = try Journal.open(path: journalPath)
            #expect(await waitUntil(timeout: 60) {
                guard let id = (try? journal.unfinished(endpoint: "s3-test:" + s3.bucket))?.first?.session?.multipart?.uploadID else { return false }
                return ((try? journal.parts(row: 1, uploadID: id).count) ?? 0) >= 1
            })
            await first.shutdown(keepingUnfinished: true)
            // A lifecycle rule (here: a direct abort) drops the upload between runs.
            for upload in try await s3.openUploads() { try await MotoS3.abort(bucket: s3.bucket, key: upload.key, uploadID: upload.uploadID) }

            let second = try s3.engine(s3.profile(), journal: journalPath)
            let ids = await second.add(paths: [path])
            let events = try await collect(second, ids, timeout: .seconds(120))
            #expect(events.completed(ids[0]) != nil, "\(String(describing: events.terminal(ids[0])))")
            #expect(events.retries.contains { if case .retrying(_, _, let reason) = $0.kind { reason.contains("starting again from the first part") } else { false } })
            #expect(try await s3.object("forgot.bin") == (try Data(contentsOf: URL(fileURLWithPath: path))))
            await second.shutdown()
        }
    }

    @Test func s3ErrorsAreRetriedOrFinalByTheirCodeAndReadOnOneLine() async throws {
        try await S3Harness.with { s3 in
            let retried = try s3.file("retried.txt", size: 10_000)
            let refused = try s3.file("refused.txt", size: 10_000, seed: 3)
            try await FaultProxy.with(upstream: s3.endpoint) { proxy in
                proxy.inject(.s3Error(status: 503, code: "SlowDown", message: "Please reduce\nyour request rate."), on: "PUT /\(s3.bucket)/retried", times: 1)
                proxy.inject(.s3Error(status: 400, code: "RequestTimeout", message: "Your socket connection to the server was not read from."), on: "PUT /\(s3.bucket)/retried", times: 1)
                // What S3 answers a conditional PUT that met another write of the key in progress.
                proxy.inject(.s3Error(status: 409, code: "ConditionalRequestConflict",
                                      message: "A conflicting operation occurred. If using PutObject you can retry the request."),
                             on: "PUT /\(s3.bucket)/retried", times: 1)
                proxy.inject(.s3Error(status: 403, code: "AccessDenied", message: "Access\nDenied"), on: "PUT /\(s3.bucket)/refused", times: 1)
                let engine = try s3.engine(s3.profile(via: proxy.baseURL))
                let ids = await engine.add(paths: [retried, refused])
                let events = try await collect(engine, ids)
                #expect(events.completed(ids[0]) != nil)
                let reasons = events.filter { $0.job == ids[0] }.compactMap { if case .retrying(_, _, let reason) = $0.kind { reason } else { nil } }
                #expect(reasons.count == 3 && reasons[0].contains("SlowDown") && reasons[1].contains("RequestTimeout")
                        && reasons[2].contains("ConditionalRequestConflict"), "\(reasons)")
                #expect(reasons.allSatisfy { !$0.contains("\n") })
                guard case .failed(let error)? = events.terminal(ids[1]) else { Issue.record("refused.txt did not fail"); return }
                #expect(error.status == 403 && error.serverCode == "AccessDenied")
                #expect(error.message.contains("Access Denied") && !error.message.contains("\n"))
                await engine.shutdown()
            }
        }
    }

    @Test("a clock 40 minutes slow: S3's RequestTimeTooSkewed refusal teaches hoist the store's time, and the upload, signed by it, completes (a single PUT and a multipart upload's first call)")
    func aSkewedClockIsCorrectedFromTheRefusal() async throws {
        try await S3Harness.with { s3 in
            let single = try s3.file("skewed.txt", size: 10_000)
            let large = try s3.file("skewed.bin", size: 20 << 20, seed: 5)
            try await FaultProxy.with(upstream: s3.endpoint) { proxy in
                // Through `localhost`: what this test teaches S3ClockSkew stays with that host,
                // away from the suite's other S3 calls (to 127.0.0.1).
                let endpoint = proxy.baseURL.replacingOccurrences(of: "127.0.0.1", with: "localhost")
                let serverTime = Date().addingTimeInterval(40 * 60)
                let refusal = "<ServerTime>\(serverTime.formatted(.iso8601))</ServerTime>"
                let message = "The difference between the request time and the current time is too large."
                proxy.inject(.s3Error(status: 403, code: "RequestTimeTooSkewed", message: message, extra: refusal),
                             on: "PUT /\(s3.bucket)/skewed.txt")
                proxy.inject(.s3Error(status: 403, code: "RequestTimeTooSkewed", message: message, extra: refusal),
                             on: "POST /\(s3.bucket)/skewed.bin?uploads")
                let engine = try s3.engine(s3.profile(via: endpoint))
                let ids = await engine.add(paths: [single, large])
                let events = try await collect(engine, ids, timeout: .seconds(120))
                #expect(events.completed(ids[0]) != nil, "\(String(describing: events.terminal(ids[0])))")
                #expect(events.completed(ids[1]) != nil, "\(String(describing: events.terminal(ids[1])))")
                #expect(try await s3.object("skewed.txt") == (try Data(contentsOf: URL(fileURLWithPath: single))))
                #expect(try await s3.object("skewed.bin") == (try Data(contentsOf: URL(fileURLWithPath: large))))
                // Each refused call was made once more, and only once.
                let lines = proxy.requestLines
                #expect(lines.filter { $0.hasPrefix("PUT /\(s3.bucket)/skewed.txt ") }.count == 2, "\(lines)")
                #expect(lines.filter { $0.hasPrefix("POST /\(s3.bucket)/skewed.bin?uploads") }.count == 2, "\(lines)")
                // Signed by the store's clock from then on.
                #expect(abs(S3ClockSkew.now(host: "localhost").timeIntervalSince(serverTime)) < 60)
                await engine.shutdown()
            }
        }
    }

    @Test func noClobberRefusesAnExistingObjectForSinglePutsAndMultipart() async throws {
        try await S3Harness.with { s3 in
            let small = try s3.file("small.txt", size: 1000)
            let big = try s3.file("big.bin", size: 20 << 20)
            let same = try s3.file("same.bin", size: 20 << 20, seed: 5)
            let first = try s3.engine(s3.profile())
            let firstIDs = await first.add(paths: [small, big, same])
            _ = try await collect(first, firstIDs, timeout: .seconds(60))
            await first.shutdown()
            let before = try #require(try await s3.object("small.txt"))

            // The same bytes again, by a run whose journal does not know them: the object
            // there is this file as hoist's parts make it, so it is completed, and no part is sent.
            try await FaultProxy.with(upstream: s3.endpoint) { proxy in
                let engine = try s3.engine(s3.profile(via: proxy.baseURL, noClobber: true))
                let ids = await engine.add(paths: [same])
                let events = try await collect(engine, ids, timeout: .seconds(60))
                let stored = try #require(try await s3.etag("same.bin"))
                #expect(events.completed(ids[0])?.md5 == stored, "\(events.story(ids[0]))")
                #expect(FaultProxy.partNumbers(proxy.requestLines).isEmpty && !proxy.requestLines.contains { $0.hasPrefix("POST ") },
                        "\(proxy.requestLines)")
                await engine.shutdown()
            }

            try s3.file("small.txt", size: 1000, seed: 9)
            try s3.file("big.bin", size: 20 << 20, seed: 9)
            try await FaultProxy.with(upstream: s3.endpoint) { proxy in
                let engine = try s3.engine(s3.profile(via: proxy.baseURL, noClobber: true))
                let ids = await engine.add(paths: [small, big])
                let events = try await collect(engine, ids, timeout: .seconds(60))
                for (id, key) in zip(ids, ["small.txt", "big.bin"]) {
                    guard case .failed(let error)? = events.terminal(id) else { Issue.record("not refused: \(String(describing: events.terminal(id)))"); continue }
                    #expect(error.status == 412 && error.message.contains("already exists"))
                    // The key is named, whether the PUT (412) or the HEAD before a multipart upload refused it.
                    #expect(error.message.contains(key), "\(error.message)")
                }
                // The multipart one was refused before any part was sent.
                #expect(FaultProxy.partNumbers(proxy.requestLines).isEmpty)
                await engine.shutdown()
            }
            #expect(try await s3.object("small.txt") == before)
            #expect(try await s3.openUploads().isEmpty)
        }
    }

    @Test("--no-clobber and a threshold changed between runs: the same bytes stored as one PUT and met as parts, or stored as parts and met as one PUT, are completed with the stored ETag and nothing sent; other bytes of that size still already exist", arguments: [false, true])
    func noClobberKnowsTheSameBytesInTheOtherLayout(storedAsParts: Bool) async throws {
        try await S3Harness.with { s3 in
            let small: Int64 = 8 << 20, large: Int64 = 64 << 20
            let (storedBy, metBy) = storedAsParts ? (small, large) : (large, small)
            let same = try s3.file("same.bin", size: 20 << 20, seed: 5)
            let other = try s3.file("other.bin", size: 20 << 20, seed: 6)
            let first = try s3.engine(s3.profile(threshold: storedBy))
            let firstIDs = await first.add(paths: [same, other])
            _ = try await collect(first, firstIDs, timeout: .seconds(60))
            await first.shutdown()
            let stored = try #require(try await s3.etag("same.bin"))
            #expect(stored.contains("-") == storedAsParts, "\(stored)")
            try s3.file("other.bin", size: 20 << 20, seed: 9)
            let otherBefore = try await s3.object("other.bin")

            try await FaultProxy.with(upstream: s3.endpoint) { proxy in
                let engine = try s3.engine(s3.profile(via: proxy.baseURL, threshold: metBy, noClobber: true))
                let ids = await engine.add(paths: [same, other])
                let events = try await collect(engine, ids, timeout: .seconds(60))
                await engine.shutdown()
                #expect(events.completed(ids[0])?.md5 == stored, "\(events.story(ids[0]))")
                guard case .failed(let error)? = events.terminal(ids[1]) else {
                    Issue.record("other bytes not refused: \(events.story(ids[1]))")
                    return
                }
                #expect(error.status == 412 && error.message.contains("already exists"), "\(error.message)")
                // No part and no multipart upload begun; a single PUT is tried (and refused) at most.
                #expect(FaultProxy.partNumbers(proxy.requestLines).isEmpty && !proxy.requestLines.contains { $0.hasPrefix("POST ") },
                        "\(proxy.requestLines)")
            }
            #expect(try await s3.etag("same.bin") == stored)
            #expect(try await s3.object("other.bin") == otherBefore)
            #expect(try await s3.openUploads().isEmpty)
        }
    }

    @Test("the same file asked for under another key is uploaded there: a completed row answers only for the key it stored; asked for again under that key, it is known and not sent")
    func aCompletedFileAskedForUnderAnotherKeyIsUploadedThere() async throws {
        try await S3Harness.with { s3 in
            let path = try s3.file("a.bin", size: 3000)
            let journal = try TempDirectory.make(prefix: "hoist-journal") + "/journal.sqlite"
            func run(_ name: String) async throws -> (events: [EngineEvent], id: JobID) {
                let engine = try s3.engine(s3.profile(), journal: journal)
                let ids = await engine.add(paths: [path], names: [name])
                let events = try await collect(engine, ids, timeout: .seconds(60))
                await engine.shutdown()
                return (events, ids[0])
            }
            let first = try await run("2024/a.bin")
            #expect(first.events.sessions(first.id) == ["2024/a.bin"], "\(first.events.story(first.id))")
            let moved = try await run("photos/2024/a.bin")
            #expect(moved.events.sessions(moved.id) == ["photos/2024/a.bin"], "\(moved.events.story(moved.id))")
            #expect(moved.events.completed(moved.id) != nil)
            #expect(try await s3.object("photos/2024/a.bin") == (try Data(contentsOf: URL(fileURLWithPath: path))))
            let again = try await run("photos/2024/a.bin")
            #expect(again.events.completed(again.id) != nil && again.events.sessions(again.id).isEmpty, "\(again.events.story(again.id))")
        }
    }

    @Test("one key reached under two prefixes (P/ with a/x.bin, P/a/ with another x.bin): the later upload replaced the object, so the first file asked for again is uploaded again, not reported completed from its row")
    func aKeyReplacedUnderAnotherPrefixIsUploadedAgain() async throws {
        try await S3Harness.with { s3 in
            let mine = try s3.file("a/x.bin", size: 3000, seed: 1)
            let other = try s3.file("other/x.bin", size: 5000, seed: 2)
            let journal = try TempDirectory.make(prefix: "hoist-journal") + "/journal.sqlite"
            func run(_ path: String, name: String, prefix: String) async throws -> (events: [EngineEvent], id: JobID) {
                // Keyed as hoist keys it (bucket and prefix), not by the harness's one key.
                let engine = try s3.engine(s3.profile(prefix: prefix), journal: journal) { $0.journalEndpoint = nil }
                let ids = await engine.add(paths: [path], names: [name])
                let events = try await collect(engine, ids, timeout: .seconds(60))
                await engine.shutdown()
                return (events, ids[0])
            }
            let first = try await run(mine, name: "a/x.bin", prefix: "P/")
            #expect(first.events.sessions(first.id) == ["P/a/x.bin"], "\(first.events.story(first.id))")
            let replacing = try await run(other, name: "x.bin", prefix: "P/a/")
            #expect(replacing.events.sessions(replacing.id) == ["P/a/x.bin"], "\(replacing.events.story(replacing.id))")
            #expect(try await s3.object("P/a/x.bin") == (try Data(contentsOf: URL(fileURLWithPath: other))))
            let again = try await run(mine, name: "a/x.bin", prefix: "P/")
            #expect(again.events.sessions(again.id) == ["P/a/x.bin"], "sent again: \(again.events.story(again.id))")
            #expect(try await s3.object("P/a/x.bin") == (try Data(contentsOf: URL(fileURLWithPath: mine))))
            // Asked for once more, with nothing sent to that key since: known, not sent.
            let known = try await run(mine, name: "a/x.bin", prefix: "P/")
            #expect(known.events.completed(known.id) != nil && known.events.sessions(known.id).isEmpty, "\(known.events.story(known.id))")
        }
    }

    @Test("a walk of a directory given as a/b/photos, kept unfinished (as a kill leaves it) and taken over by a new engine: its queued rows and the files it had not reached are uploaded under a/b/photos/, not under their file names or photos/")
    func aTakenOverWalkKeepsTheNamesItWasGiven() async throws {
        try await S3Harness.with { s3 in
            let count = UploadEngine.firstBatch + 12
            for index in 0..<count { try s3.file(String(format: "a/b/photos/f-%03d.bin", index), size: 5, seed: UInt32(index)) }
            let directory = s3.files + "/a/b/photos"
            let journal = try TempDirectory.make(prefix: "hoist-journal") + "/journal.sqlite"
            let first = try s3.engine(s3.profile(), journal: journal) { $0.startPaused = true }
            let adding = Task { await first.add(paths: [directory], names: ["a/b/photos"], backlog: 10) }
            #expect(await waitUntil { await first.roomWaiters.count == 1 })
            await first.shutdown(keepingUnfinished: true)
            _ = await adding.value

            let second = try s3.engine(s3.profile(), journal: journal)
            let left = await second.resumeUnfinished()
            #expect(left.jobs.count == UploadEngine.firstBatch && !left.walkPaths.isEmpty)
            // As the front ends take the rest over: the paths, with the walk's record.
            let walked = await second.add(paths: left.walkPaths, walk: left.walk)
            // The walk is of the directory, so it meets the queued rows' files again: the same jobs.
            let ids = Array(Set(left.jobs + walked))
            let events = try await collect(second, ids, timeout: .seconds(120))
            await second.shutdown()
            #expect(ids.count == count)
            let keys = ids.flatMap { events.sessions($0) }
            #expect(keys.count == count && keys.allSatisfy { $0.hasPrefix("a/b/photos/f-") }, "\(keys)")
            #expect(Set(keys).count == count)
        }
    }
}
