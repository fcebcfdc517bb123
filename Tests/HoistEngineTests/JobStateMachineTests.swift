import Foundation
import Testing

@testable import HoistEngine

@Suite struct JobStateMachineTests {
    let policy = RetryPolicy(maxAttempts: 3, baseDelay: .seconds(1), maxDelay: .seconds(8), maxSessions: 3, maxReuploads: 1)
    let now = Date(timeIntervalSince1970: 1_000_000)

    func session(_ id: String = "fil_1", expires: TimeInterval = 3600) -> RemoteSession {
        RemoteSession(id: id, filename: "a.txt", uploadURL: "http://x/storage/a", uploadHeaders: [.init("content-type", "text/plain")],
                      expiresAt: now.addingTimeInterval(expires))
    }

    @Test func happyPath() {
        var machine = JobStateMachine(policy: policy)
        #expect(machine.start() == .createSession)
        #expect(machine.sessionCreated(session(), now: now) == .upload(session()))
        #expect(machine.uploadSucceeded(md5: "abc") == .complete(session(), md5: "abc"))
        #expect(machine.completeSucceeded() == .finished(session(), md5: "abc"))
        #expect(machine.isFinished)
    }

    @Test func transientUploadErrorsBackOffThenGiveUpAndCancelTheSession() {
        var machine = JobStateMachine(policy: policy)
        _ = machine.start()
        _ = machine.sessionCreated(session(), now: now)
        let error = EngineError.http(status: 503, code: nil, message: "busy")
        #expect(machine.uploadFailed(error, now: now, jitter: 0) == .wait(.milliseconds(500), attempt: 2, reason: error.message))
        #expect(machine.retryTimerFired(now: now) == .upload(session()))
        #expect(machine.uploadFailed(.network("reset"), now: now, jitter: 1) == .wait(.seconds(2), attempt: 3, reason: "network error: reset"))
        #expect(machine.retryTimerFired(now: now) == .upload(session()))
        #expect(machine.uploadFailed(error, now: now, jitter: 0) == .cancelSession(session()))
        #expect(machine.sessionCancelled() == .failed(error))
    }

    @Test("429 is retried, and a Retry-After (seconds or an HTTP date, at most 10 minutes) is the least the retry waits")
    func tooManyRequestsWaitsForRetryAfter() {
        var machine = JobStateMachine(policy: policy)
        _ = machine.start()
        let limited = EngineError.http(status: 429, code: "rate_limited", message: "slow down", retryAfter: .seconds(3))
        #expect(limited.isTransient)
        #expect(machine.createFailed(limited, jitter: 0) == .wait(.seconds(3), attempt: 2, reason: limited.message))
        #expect(machine.retryTimerFired(now: now) == .createSession)
        // A Retry-After shorter than the backoff does not shorten it.
        let brief = EngineError.http(status: 503, code: nil, message: "busy", retryAfter: .milliseconds(1))
        #expect(machine.createFailed(brief, jitter: 0) == .wait(.seconds(1), attempt: 3, reason: brief.message))
        // A 4xx other than 429 stays final, whatever it says about retrying.
        #expect(!EngineError.http(status: 400, code: nil, message: "no", retryAfter: .seconds(1)).isTransient)
        #expect(EngineError.http(status: 400, code: nil, message: "no", retryAfter: .seconds(1)).retryAfter == nil)

        let now = Date(timeIntervalSince1970: 1_700_000_000)  // Tue, 14 Nov 2023 22:13:20 GMT
        #expect(HTTPTransport.retryAfter("3", now: now) == .seconds(3))
        #expect(HTTPTransport.retryAfter(" 120 ", now: now) == .seconds(120))
        #expect(HTTPTransport.retryAfter("86400", now: now) == .seconds(600))
        #expect(HTTPTransport.retryAfter("Tue, 14 Nov 2023 22:13:50 GMT", now: now) == .seconds(30))
        #expect(HTTPTransport.retryAfter("Tue, 14 Nov 2023 22:13:00 GMT", now: now) == .zero, "a date gone by: at once")
        for junk in ["", "-1", "1.5", "soon", "٣", "Tue, 14 Nov 2023"] { #expect(HTTPTransport.retryAfter(junk, now: now) == nil, "\(junk)") }
    }

    @Test func createErrorsRetryWhenTransientAndFailOtherwise() {
        var machine = JobStateMachine(policy: policy)
        _ = machine.start()
        guard case .wait = machine.createFailed(.network("refused"), jitter: 0.5) else { Issue.record("no wait"); return }
        #expect(machine.retryTimerFired(now: now) == .createSession)
        let denied = EngineError.http(status: 415, code: "unsupported_media_type", message: "nope")
        #expect(machine.createFailed(denied, jitter: 0) == .failed(denied))
    }

    @Test func nameTakenCancelsTheOldSessionAndCreatesANewOne() {
        var machine = JobStateMachine(policy: policy)
        _ = machine.start()
        _ = machine.sessionCreated(session(), now: now)
        #expect(machine.uploadFailed(.nameTaken("exists"), now: now, jitter: 0) == .cancelSession(session()))
        #expect(machine.sessionCancelled() == .createSession)
        #expect(machine.sessionCreated(session("fil_2"), now: now) == .upload(session("fil_2")))
    }

    @Test func expiredSessionIsReplacedNotRetried() {
        var machine = JobStateMachine(policy: policy)
        _ = machine.start()
        _ = machine.sessionCreated(session(), now: now)
        #expect(machine.uploadFailed(.expired("signature expired"), now: now, jitter: 0) == .createSession)
        _ = machine.sessionCreated(session("fil_2"), now: now)
        _ = machine.uploadSucceeded(md5: "m")
        let expired = EngineError.http(status: 409, code: "expired", message: "session expired")
        #expect(machine.completeFailed(expired, now: now, jitter: 0) == .createSession)
    }

    @Test func sessionExpiringDuringBackoffIsReplaced() {
        var machine = JobStateMachine(policy: policy)
        _ = machine.start()
        _ = machine.sessionCreated(session(expires: 10), now: now)
        _ = machine.uploadFailed(.network("reset"), now: now, jitter: 0)
        #expect(machine.retryTimerFired(now: now.addingTimeInterval(11)) == .createSession)
    }

    @Test func sessionsAreBounded() {
        var machine = JobStateMachine(policy: policy)
        _ = machine.start()
        for index in 1...3 {
            _ = machine.sessionCreated(session("fil_\(index)"), now: now)
            let next = machine.uploadFailed(.expired("x"), now: now, jitter: 0)
            if index < 3 { #expect(next == .createSession) } else {
                guard case .failed = next else { Issue.record("expected failure, got \(next)"); return }
            }
        }
    }

    @Test func checksumMismatchReuploadsOnceThenFails() {
        var machine = JobStateMachine(policy: policy)
        _ = machine.start()
        _ = machine.sessionCreated(session(), now: now)
        _ = machine.uploadSucceeded(md5: "m")
        let mismatch = EngineError.http(status: 422, code: "checksum_mismatch", message: "md5 differs")
        #expect(machine.completeFailed(mismatch, now: now, jitter: 0) == .upload(session()))
        _ = machine.uploadSucceeded(md5: "m")
        #expect(machine.completeFailed(mismatch, now: now, jitter: 0) == .cancelSession(session()))
        #expect(machine.sessionCancelled() == .failed(mismatch))
    }

    @Test func otherClientErrorsAreFinalAndTheSessionIsCancelled() {
        var machine = JobStateMachine(policy: policy)
        _ = machine.start()
        _ = machine.sessionCreated(session(), now: now)
        let tooBig = EngineError.http(status: 413, code: "too_large", message: "body too large")
        #expect(machine.uploadFailed(tooBig, now: now, jitter: 0) == .cancelSession(session()))
        #expect(machine.sessionCancelled() == .failed(tooBig))
    }

    @Test func fileChangeFailsTheJob() {
        var machine = JobStateMachine(policy: policy)
        _ = machine.start()
        _ = machine.sessionCreated(session(), now: now)
        #expect(machine.uploadFailed(.fileChanged("/a"), now: now, jitter: 0) == .cancelSession(session()))
        #expect(machine.sessionCancelled() == .failed(.fileChanged("/a")))
    }

    @Test func cancelBeforeASessionFinishesAtOnce() {
        var machine = JobStateMachine(policy: policy)
        _ = machine.start()
        #expect(machine.cancel() == .cancelled)
        #expect(machine.cancel() == nil)
    }

    @Test func cancelDuringUploadCancelsTheSessionAndNeverCompletes() {
        var machine = JobStateMachine(policy: policy)
        _ = machine.start()
        _ = machine.sessionCreated(session(), now: now)
        #expect(machine.cancel() == .cancelSession(session()))
        #expect(machine.cancel() == nil)
        #expect(machine.sessionCancelled() == .cancelled)
    }

    @Test func cancelWhileReplacingASessionReportsCancelled() {
        var machine = JobStateMachine(policy: policy)
        _ = machine.start()
        _ = machine.sessionCreated(session(), now: now)
        _ = machine.uploadFailed(.nameTaken("exists"), now: now, jitter: 0)
        #expect(machine.cancel() == nil)
        #expect(machine.sessionCancelled() == .cancelled)
    }

    @Test func resumeStartsWhereTheJournalLeftOff() {
        var uploaded = JobStateMachine(policy: policy)
        #expect(uploaded.start(.uploaded(session(), md5: "m")) == .complete(session(), md5: "m"))
        #expect(uploaded.completeSucceeded() == .finished(session(), md5: "m"))
        var stale = JobStateMachine(policy: policy)
        #expect(stale.start(.staleSession(session())) == .cancelSession(session()))
        #expect(stale.sessionCancelled() == .createSession)
    }

    @Test func backoffGrowsAndIsCapped() {
        let p = RetryPolicy(baseDelay: .seconds(1), maxDelay: .seconds(5))
        #expect(p.delay(afterAttempt: 1, jitter: 1) == .seconds(1))
        #expect(p.delay(afterAttempt: 3, jitter: 1) == .seconds(4))
        #expect(p.delay(afterAttempt: 10, jitter: 1) == .seconds(5))
        #expect(p.delay(afterAttempt: 3, jitter: 0) == .seconds(2))
    }
}
