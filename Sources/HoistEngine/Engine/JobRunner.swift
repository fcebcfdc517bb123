import Foundation
import Synchronization

/// Performs one job's I/O, driven by `JobStateMachine`: journal the intent, make the call,
/// journal the result, feed the outcome back, emit events.
///
/// Cancellation is the task's: it aborts a PUT or a backoff sleep at once. Create,
/// complete and cancel calls run shielded, so their answers are never lost to a cancel.
struct JobRunner: Sendable {
    let api: UploadAPI
    let uploader: FileUploader
    let journal: Journal
    let policy: RetryPolicy
    let wallClock: @Sendable () -> Date
    let emit: @Sendable (EngineEvent) -> Void
    /// Session ids this engine created, so the orphan sweep never touches a live one.
    let ownSessions: OwnSessions
    /// Set when the engine stops keeping unfinished jobs: a cancelled job then stops where it
    /// is, its session left pending and its journal row as it was, for the next run to resume.
    let keepOnCancel: Flag

    struct Job: Sendable {
        var id: JobID
        var file: FileIdentity
        var mimeType: String
        var row: Int64
        var start: JobStateMachine.Start
        /// A create whose answer was never journaled: its requested name and intent time.
        var orphan: (name: String, since: Date)?
        /// The file on disk, so the engine never queues it twice at once.
        var key: FileKey?
    }

    /// How a run ended: completed, failed (with the error its `failed` event carried) or cancelled.
    struct Ending: Sendable {
        var phase: UploadEngine.Phase
        var error: EngineError?
    }

    func run(_ job: Job) async -> Ending {
        @Sendable func send(_ kind: EngineEvent.Kind) { emit(EngineEvent(job: job.id, path: job.file.path, kind: kind)) }
        var machine = JobStateMachine(policy: policy)
        send(.started)
        if let orphan = job.orphan { await sweepOrphans(named: orphan.name, since: orphan.since) }
        var action = machine.start(job.start)
        var journaled = JournaledStep.Tracker(journal: journal, row: job.row)
        do {
            while true {
                if Task.isCancelled {
                    if keepOnCancel.isSet, !action.isFinal {
                        send(.cancelled)
                        return Ending(phase: .cancelled)
                    }
                    if let cancel = machine.cancel() { action = cancel }
                }
                switch action {
                case .createSession:
                    let name = api.requestedName(for: job.file.name)
                    try journaled.record(.creating, requestedName: name, intentAt: wallClock())
                    do {
                        let session = try await shielded { try await api.createSession(name: name, size: job.file.size, mimeType: job.mimeType) }
                        ownSessions.insert(session.id)
                        try journaled.record(.uploading, session: session)
                        send(.sessionCreated(remoteID: session.id, filename: session.filename))
                        action = machine.sessionCreated(session, now: wallClock())
                    } catch {
                        action = machine.createFailed(error, jitter: .random(in: 0..<1))
                    }
                case .upload(let session):
                    try journaled.record(.uploading, session: session)
                    send(.progress(sent: 0, total: job.file.size))
                    do {
                        let md5 = try await uploader.upload(job.file, to: session) { sent in
                            send(.progress(sent: sent, total: job.file.size))
                        }
                        try journaled.record(.completing, md5: md5)
                        action = machine.uploadSucceeded(md5: md5)
                    } catch {
                        action = machine.uploadFailed(error, now: wallClock(), jitter: .random(in: 0..<1))
                    }
                case .complete(let session, let md5):
                    try journaled.record(.completing, session: session, md5: md5)
                    send(.completing)
                    do {
                        try await shielded { try await api.complete(session, md5: md5) }
                        action = machine.completeSucceeded()
                    } catch {
                        action = machine.completeFailed(error, now: wallClock(), jitter: .random(in: 0..<1))
                    }
                case .cancelSession(let session):
                    try journaled.record(.cancelling, session: session)
                    // Best effort: a session that is already expired or finished answers 409, which is fine.
                    try? await shielded { try await api.cancel(id: session.id) }
                    action = machine.sessionCancelled()
                case .wait(let delay, let attempt, let reason):
                    send(.retrying(attempt: attempt, delay: delay, reason: reason))
                    try? await uploader.clock.sleep(for: delay)
                    action = machine.retryTimerFired(now: wallClock())
                case .finished(let session, let md5):
                    try journaled.record(.completed, session: session, md5: md5)
                    send(.completed(remoteID: session.id, md5: md5))
                    return Ending(phase: .completed)
                case .failed(let error):
                    try? journaled.record(.failed, error: error.message)
                    send(.failed(error))
                    return Ending(phase: .failed, error: error)
                case .cancelled:
                    try journaled.record(.cancelled)
                    send(.cancelled)
                    return Ending(phase: .cancelled)
                }
            }
        } catch {
            // Only journal writes land here: without a journal the job cannot go on safely.
            send(.failed(error))
            return Ending(phase: .failed, error: error)
        }
    }

    /// Cancels pending sessions named like `name` created since `since` that this engine does
    /// not own: the trace of a create whose answer a killed run never recorded.
    private func sweepOrphans(named name: String, since: Date) async {
        guard api.cancelsSessions else { return }
        let lookupStart = wallClock()
        guard let pending = try? await shielded({ try await api.list(status: "PENDING", since: since.addingTimeInterval(-5)) }) else { return }
        for file in pending where NameStamp.matches(stored: file.filename, requested: name) && !ownSessions.contains(file.id) {
            if let created = file.createdAt, created >= lookupStart { continue }
            try? await shielded { try await api.cancel(id: file.id) }
        }
    }
}

/// Runs `body` in a task of its own, so cancelling the caller does not abort it.
func shielded<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws(EngineError) -> T {
    let result = await Task { () async -> Result<T, EngineError> in
        do { return .success(try await body()) } catch { return .failure(HTTPTransport.map(error)) }
    }.value
    return try result.get()
}

/// A switch set once, read from any task.
final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

/// The set of session ids created in this process.
final class OwnSessions: Sendable {
    private let ids = Mutex<Set<String>>([])
    func insert(_ id: String) { _ = ids.withLock { $0.insert(id) } }
    func contains(_ id: String) -> Bool { ids.withLock { $0.contains(id) } }
}
