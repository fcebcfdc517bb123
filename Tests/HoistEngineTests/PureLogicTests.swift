import Foundation
import Testing

@testable import HoistEngine

@Suite struct PureLogicTests {
    @Test func throttleKeepsOnePerIntervalAndFlushesTheLast() {
        var throttle = ProgressThrottle(interval: .milliseconds(100))
        #expect(throttle.update(10, now: .zero) == 10)
        #expect(throttle.update(20, now: .milliseconds(50)) == nil)
        #expect(throttle.update(30, now: .milliseconds(99)) == nil)
        #expect(throttle.update(40, now: .milliseconds(100)) == 40)
        #expect(throttle.flush() == nil)
        #expect(throttle.update(50, now: .milliseconds(120)) == nil)
        #expect(throttle.flush() == 50)
        #expect(throttle.flush() == nil)
    }

    @Test("a reconcile's check reports 0 at once, then at most once per interval, then the total once")
    func verifyProgressIsThrottled() {
        final class Clock: EngineClock, @unchecked Sendable {
            var current: Duration = .zero
            func now() -> Duration { current }
            func sleep(for duration: Duration) async throws {}
        }
        final class Reports: @unchecked Sendable { var seen: [Int64] = [] }
        let clock = Clock(), reports = Reports()
        let progress = VerifyProgress(total: 100, interval: .milliseconds(100), clock: clock) { checked, total in
            #expect(total == 100)
            reports.seen.append(checked)
        }
        #expect(reports.seen == [0])
        clock.current = .milliseconds(50)
        progress.read(10)
        clock.current = .milliseconds(100)
        progress.read(40)
        clock.current = .milliseconds(150)
        progress.read(70)
        progress.finish()
        #expect(reports.seen == [0, 40, 100])
        // The last read due at the total is not said twice.
        let again = Reports()
        let whole = VerifyProgress(total: 8, interval: .zero, clock: clock) { checked, _ in again.seen.append(checked) }
        whole.read(8)
        whole.finish()
        #expect(again.seen == [0, 8])
    }

    @Test func tokenBucketPacesToTheRate() {
        var bucket = TokenBucket(bytesPerSecond: 1000, capacity: 100)
        #expect(bucket.take(100, now: .zero) == .zero)
        #expect(bucket.take(500, now: .zero) == .milliseconds(500))
        // Half a second later the debt is paid; the next 100 bytes cost a tenth of a second.
        #expect(bucket.take(100, now: .milliseconds(500)) == .milliseconds(100))
    }

    @Test func rateParsing() {
        #expect(RateLimiter.parse("500K") == 512_000)
        #expect(RateLimiter.parse("10M") == 10 << 20)
        #expect(RateLimiter.parse("1g") == 1 << 30)
        #expect(RateLimiter.parse("2048") == 2048)
        #expect(RateLimiter.parse("fast") == nil)
        #expect(RateLimiter.parse("-5K") == nil)
        #expect(RateLimiter.parse("") == nil)
        // Past 1 PiB/s, or no number at all: refused, where a count made of it trapped.
        #expect(RateLimiter.parse("1048576G") == 1 << 50)
        for huge in ["1048577G", "1e30", "inf", "nan", "9223372036854775807", "1e400"] {
            #expect(RateLimiter.parse(huge) == nil, "\(huge)")
        }
        #expect(RateLimiter.parse("0.1") == 1, "a fraction of a byte is one")
    }

    @Test("a limit set past 1 PiB/s (a raw client's Int64.max) is held at 1 PiB/s: read back, it is a count, not a trap")
    func hugeRatesAreClamped() async {
        let limiter = RateLimiter(bytesPerSecond: .max)
        #expect(await limiter.bytesPerSecond == 1 << 50)
        await limiter.setRate(.max - 1)
        #expect(await limiter.bytesPerSecond == 1 << 50)
        try? await limiter.acquire(1 << 20)
    }

    @Test func nameStamps() {
        #expect(NameStamp.matches(stored: "playbook_1713045600000.md", requested: "playbook.md"))
        #expect(NameStamp.matches(stored: "archive.tar_1713045600000.gz", requested: "archive.tar.gz"))
        #expect(NameStamp.matches(stored: "README_1713045600000", requested: "README"))
        #expect(NameStamp.matches(stored: "a.txt", requested: "a.txt"))
        #expect(!NameStamp.matches(stored: "playbook_x.md", requested: "playbook.md"))
        #expect(!NameStamp.matches(stored: "playbook_1.txt", requested: "playbook.md"))
        #expect(!NameStamp.matches(stored: "other_1.md", requested: "playbook.md"))
        // A name the stamp would take past 255 bytes is stored with its stem shortened.
        let long = String(repeating: "p", count: 250) + ".md"
        #expect(NameStamp.matches(stored: String(repeating: "p", count: 237) + "_1713045600000.md", requested: long))
        #expect(!NameStamp.matches(stored: "p_1713045600000.md", requested: "pq.md"), "a short name is never shortened")
    }

    @Test func localValidationMirrorsTheServer() throws {
        let luw = Profile(name: "l", dialect: .luw, endpoint: "e", apiKeyEnv: "K")
        #expect(try UploadRules.standard.validate(name: "Photo.JPG", size: 10, profile: luw) == "image/jpeg")
        #expect(throws: EngineError.self) { try UploadRules.standard.validate(name: "notes.txt", size: 10, profile: luw) }
        var lf = Profile(name: "f", dialect: .lightfield, endpoint: "e", apiKeyEnv: "K", purpose: "meeting_transcript")
        #expect(try UploadRules.standard.validate(name: "call.vtt", size: 10, profile: lf) == "text/vtt")
        #expect(throws: EngineError.mimeNotAllowed("image/png", purpose: "meeting_transcript")) {
            try UploadRules.standard.validate(name: "x.png", size: 10, profile: lf)
        }
        #expect(throws: EngineError.self) { try UploadRules.standard.validate(name: "big.txt", size: 51 << 20, profile: lf) }
        lf.purpose = nil
        #expect(try UploadRules.standard.validate(name: "movie.mp4", size: 10, profile: lf) == "video/mp4")
        #expect(throws: EngineError.emptyFile("e.txt")) { try UploadRules.standard.validate(name: "e.txt", size: 0, profile: lf) }
    }

    @Test func mimeFromExtension() {
        #expect(MIMEType.forFile("/a/b/Notes.MD") == "text/markdown")
        #expect(MIMEType.forFile("archive.tar.gz") == "application/gzip")
        #expect(MIMEType.forFile(".bashrc") == "application/octet-stream")
        #expect(MIMEType.fileExtension(of: "README") == "")
    }

    @Test func ndjsonLines() {
        let progress = EngineEvent(job: JobID(1), path: "/tmp/a \"b\".txt", kind: .progress(sent: 5, total: 10))
        #expect(progress.jsonLine(dialect: .lightfield, remoteID: "fil_1")
            == #"{"event":"progress","path":"/tmp/a \"b\".txt","id":"fil_1","sent":5,"total":10}"#)
        let done = EngineEvent(job: JobID(2), path: "/p.png", kind: .completed(remoteID: "http://h/cdn/luwai/1/p.png", md5: "abc"))
        #expect(done.jsonLine(dialect: .luw, remoteID: "http://h/cdn/luwai/1/p.png")
            == #"{"event":"completed","path":"/p.png","url":"http://h/cdn/luwai/1/p.png","md5":"abc"}"#)
        let failed = EngineEvent(job: JobID(3), path: "/x", kind: .failed(.fileNotFound("/x")))
        #expect(failed.jsonLine(dialect: .lightfield, remoteID: nil)
            == #"{"event":"failed","path":"/x","error":"/x: no such file","error_code":"fileNotFound"}"#)
        #expect(EngineEvent(job: JobID(4), path: "/x", kind: .started).jsonLine(dialect: .luw, remoteID: nil) == nil)
        let verifying = EngineEvent(job: JobID(6), path: "/big.iso", kind: .verifying(checked: 8_388_608, total: 16_777_216))
        #expect(verifying.jsonLine(dialect: .s3, remoteID: "backups/big.iso")
            == #"{"event":"verifying","path":"/big.iso","key":"backups/big.iso","checked":8388608,"total":16777216}"#)
        let pending = EngineEvent(job: JobID(7), path: "/x", kind: .cancelPending(reason: "network error: connection refused"))
        #expect(pending.jsonLine(dialect: .lightfield, remoteID: "fil_7")
            == #"{"event":"cancel_pending","path":"/x","id":"fil_7","reason":"network error: connection refused"}"#)
        // Said after a file's end: not a line of the script interface, whose last line for a file is its end.
        #expect(EngineEvent(job: JobID(7), path: "/x", kind: .cancelDone).jsonLine(dialect: .lightfield, remoteID: "fil_7") == nil)
        for line in [progress, done, failed].compactMap({ $0.jsonLine(dialect: .lightfield, remoteID: nil) }) {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil)
        }
        // Names that need no escape take the quick path; the rest are escaped scalar by
        // scalar. Either way a JSON reader gets the name back exactly.
        for path in ["/plain/name.txt", "/写真 2026.png", "/tab\there", "/nl\nhere", "/quote\"d", "/back\\slash",
                     "/bell\u{07}", "/emoji 🙂.txt", "", "/\u{1F}\u{7F}\u{2028}"] {
            let line = EngineEvent(job: JobID(5), path: path, kind: .cancelled).jsonLine(dialect: .lightfield, remoteID: nil) ?? ""
            let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            #expect(object?["path"] as? String == path, "\(line)")
        }
    }

    @Test("a kept cancel's two words come in order: cancelDone only after cancelPending, neither when the cancel was made first; nothing is left behind")
    func keptCancelsAnnounceInOrder() {
        let kept = KeptCancels()
        var said: [String] = []
        func done(_ job: JobID, _ path: String) { said.append("done \(job.rawValue) \(path)") }
        // The usual order: tried and kept, said pending, made later.
        kept.register("s1", job: JobID(1), path: "/a")
        kept.made("s0", announce: done)  // an earlier run's session: no job hears of it
        kept.announce("s1") { said.append("pending 1") }
        kept.made("s1", announce: done)
        kept.made("s1", announce: done)
        #expect(said == ["pending 1", "done 1 /a"])
        // The journal's retry made it before its job could say it was pending: nothing said.
        kept.register("s2", job: JobID(2), path: "/b")
        kept.made("s2", announce: done)
        kept.announce("s2") { said.append("pending 2") }
        kept.made("s2", announce: done)
        #expect(said == ["pending 1", "done 1 /a"])
        // A job retried: its old session's cancel, made later, is not said of the new attempt.
        kept.register("s3", job: JobID(3), path: "/c")
        kept.announce("s3") { said.append("pending 3") }
        kept.forget(job: JobID(3))
        kept.made("s3", announce: done)
        #expect(said == ["pending 1", "done 1 /a", "pending 3"])
        // A cancel that went through, or a job that goes on: forgotten, nothing said later.
        kept.register("s4", job: JobID(4), path: "/d")
        kept.forget("s4")
        kept.made("s4", announce: done)
        #expect(said == ["pending 1", "done 1 /a", "pending 3"])
    }

    @Test func errorsClassify() {
        #expect(EngineError.network("x").isTransient)
        #expect(EngineError.http(status: 502, code: nil, message: "").isTransient)
        #expect(!EngineError.http(status: 404, code: "not_found", message: "").isTransient)
        #expect(EngineError.expired("x").needsNewSession)
        #expect(EngineError.nameTaken("x").needsNewSession)
        #expect(EngineError.http(status: 400, code: "bad", message: "missing field").description.contains("missing field"))
    }
}
