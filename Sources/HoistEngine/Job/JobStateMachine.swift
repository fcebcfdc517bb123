import Foundation

/// The lifecycle of one upload as a pure value: events in, the next action out.
///
/// The runner performs each action and feeds the outcome back as an event. Nothing here
/// does I/O or reads a clock, so every path (retries, new sessions, cancel) is unit-tested.
struct JobStateMachine: Sendable {
    enum Action: Sendable, Equatable {
        case createSession
        case upload(RemoteSession)
        case complete(RemoteSession, md5: String)
        /// Cancel the session on the server, then report `sessionCancelled()`.
        case cancelSession(RemoteSession)
        /// Sleep, then report `retryTimerFired(now:)`.
        case wait(Duration, attempt: Int, reason: String)
        case finished(RemoteSession, md5: String)
        case failed(EngineError)
        case cancelled

        /// The job ends with this action (`finished`, `failed`, `cancelled`).
        var isFinal: Bool {
            switch self {
            case .finished, .failed, .cancelled: return true
            default: return false
            }
        }
    }

    /// Where a job starts: fresh, or from what the journal knew after a crash.
    /// Indirect: a queued job keeps one, and a session inline would make each of 100,000
    /// queued jobs 100 bytes larger for the few that resume.
    indirect enum Start: Sendable, Equatable {
        case fresh
        /// A session whose PUT may not have finished: cancel it and upload anew.
        case staleSession(RemoteSession)
        /// A session that keeps what was sent (a multipart upload): send the rest.
        case resumeUpload(RemoteSession)
        /// Every byte was sent: ask the server to complete (idempotent).
        case uploaded(RemoteSession, md5: String)
    }

    private enum Step: Sendable, Equatable {
        case create
        case upload(RemoteSession)
        case complete(RemoteSession, md5: String)
    }

    private enum AfterCancel: Sendable, Equatable {
        case createNew
        case fail(EngineError)
        case reportCancelled
    }

    private enum State: Sendable, Equatable {
        case idle
        case running(Step)
        case waiting(Step)
        case cancelling(AfterCancel)
        case done
    }

    private var state: State = .idle
    private let policy: RetryPolicy
    private var failures = 0
    private var sessions = 0
    private var reuploads = 0

    init(policy: RetryPolicy) { self.policy = policy }

    /// True once the job reached completed, failed or cancelled.
    var isFinished: Bool { state == .done }

    mutating func start(_ start: Start = .fresh) -> Action {
        precondition(state == .idle, "start called twice")
        switch start {
        case .fresh: return run(.create)
        case .staleSession(let session): return abandon(session, then: .createNew)
        case .uploaded(let session, let md5): return run(.complete(session, md5: md5))
        case .resumeUpload(let session):
            sessions += 1
            return run(.upload(session))
        }
    }

    mutating func sessionCreated(_ session: RemoteSession, now: Date) -> Action {
        guard case .running(.create) = state else { return unexpected("sessionCreated") }
        sessions += 1
        failures = 0
        return session.isExpired(at: now) ? newSession(replacing: nil, reason: "session expired on arrival") : run(.upload(session))
    }

    mutating func createFailed(_ error: EngineError, jitter: Double) -> Action {
        guard case .running(.create) = state else { return unexpected("createFailed") }
        return error.isTransient ? retry(.create, error, jitter: jitter) : finish(.failed(error))
    }

    mutating func uploadSucceeded(md5: String) -> Action {
        guard case .running(.upload(let session)) = state else { return unexpected("uploadSucceeded") }
        failures = 0
        return run(.complete(session, md5: md5))
    }

    mutating func uploadFailed(_ error: EngineError, now: Date, jitter: Double) -> Action {
        guard case .running(.upload(let session)) = state else { return unexpected("uploadFailed") }
        if error.isTransient {
            return session.isExpired(at: now) ? newSession(replacing: nil, reason: "session expired") : retry(.upload(session), error, jitter: jitter)
        }
        if error.needsNewSession {
            // A 412 leaves the old session pending: cancel it. An expired one is already dead.
            return newSession(replacing: error.status == 412 ? session : nil, reason: error.message)
        }
        return abandon(session, then: .fail(error))
    }

    mutating func completeSucceeded() -> Action {
        guard case .running(.complete(let session, let md5)) = state else { return unexpected("completeSucceeded") }
        return finish(.finished(session, md5: md5))
    }

    mutating func completeFailed(_ error: EngineError, now: Date, jitter: Double) -> Action {
        guard case .running(.complete(let session, let md5)) = state else { return unexpected("completeFailed") }
        if error.isTransient { return retry(.complete(session, md5: md5), error, jitter: jitter) }
        switch (error.status, error.serverCode) {
        case (_, "expired"), (_, "NoSuchUpload"):
            return newSession(replacing: nil, reason: error.message)
        case (422, "checksum_mismatch"), (409, "upload_missing"):
            // The server discarded or never got the bytes; the session is still pending.
            guard reuploads < policy.maxReuploads else { return abandon(session, then: .fail(error)) }
            reuploads += 1
            return session.isExpired(at: now) ? newSession(replacing: nil, reason: error.message) : run(.upload(session))
        default:
            return abandon(session, then: .fail(error))
        }
    }

    mutating func retryTimerFired(now: Date) -> Action {
        guard case .waiting(let step) = state else { return unexpected("retryTimerFired") }
        if case .upload(let session) = step, session.isExpired(at: now) {
            return newSession(replacing: nil, reason: "session expired while waiting")
        }
        return run(step)
    }

    /// The user cancelled. Returns nil when the job already finished.
    mutating func cancel() -> Action? {
        switch state {
        case .done, .cancelling(.reportCancelled): return nil
        case .idle, .running(.create), .waiting(.create): return finish(.cancelled)
        case .cancelling: state = .cancelling(.reportCancelled); return nil
        case .running(.upload(let s)), .waiting(.upload(let s)), .running(.complete(let s, _)), .waiting(.complete(let s, _)):
            return abandon(s, then: .reportCancelled)
        }
    }

    /// The cancel call returned (its outcome does not matter: the session is not used again).
    mutating func sessionCancelled() -> Action {
        guard case .cancelling(let after) = state else { return unexpected("sessionCancelled") }
        switch after {
        case .createNew: return run(.create)
        case .fail(let error): return finish(.failed(error))
        case .reportCancelled: return finish(.cancelled)
        }
    }

    // MARK: helpers

    private mutating func run(_ step: Step) -> Action {
        state = .running(step)
        switch step {
        case .create: return .createSession
        case .upload(let session): return .upload(session)
        case .complete(let session, let md5): return .complete(session, md5: md5)
        }
    }

    private mutating func retry(_ step: Step, _ error: EngineError, jitter: Double) -> Action {
        failures += 1
        guard failures < policy.maxAttempts else {
            if case .upload(let s) = step { return abandon(s, then: .fail(error)) }
            if case .complete(let s, _) = step { return abandon(s, then: .fail(error)) }
            return finish(.failed(error))
        }
        state = .waiting(step)
        // Never sooner than the server asked (`Retry-After`).
        let delay = max(policy.delay(afterAttempt: failures, jitter: jitter), error.retryAfter ?? .zero)
        return .wait(delay, attempt: failures + 1, reason: error.message)
    }

    private mutating func newSession(replacing old: RemoteSession?, reason: String) -> Action {
        guard sessions < policy.maxSessions else {
            let error = EngineError.protocolViolation("gave up after \(sessions) sessions: \(reason)")
            return old.map { abandon($0, then: .fail(error)) } ?? finish(.failed(error))
        }
        failures = 0
        if let old { return abandon(old, then: .createNew) }
        return run(.create)
    }

    private mutating func abandon(_ session: RemoteSession, then after: AfterCancel) -> Action {
        state = .cancelling(after)
        return .cancelSession(session)
    }

    private mutating func finish(_ action: Action) -> Action {
        state = .done
        return action
    }

    private mutating func unexpected(_ event: String) -> Action {
        finish(.failed(.protocolViolation("internal: \(event) in state \(state)")))
    }
}
