import Foundation
import SigV4
import Synchronization

/// Performs one job's I/O, driven by `JobStateMachine`: journal the intent, make the call,
/// journal the result, feed the outcome back, emit events.
///
/// Cancellation is the task's: it aborts a PUT or a backoff sleep at once. Create,
/// complete and cancel calls run shielded, so their answers are not lost to a cancel,
/// unless the server holds them past `cancelGrace`.
struct JobRunner: Sendable {
    let api: UploadAPI
    let uploader: FileUploader
    let journal: Journal
    let policy: RetryPolicy
    let wallClock: @Sendable () -> Date
    let emit: @Sendable (EngineEvent) -> Void
    /// Session ids this engine created, so the orphan sweep never touches a live one.
    let ownSessions: OwnSessions
    /// Jobs told `cancelPending`, to be told `cancelDone`.
    let keptCancels = KeptCancels()
    /// Set when the engine stops keeping unfinished jobs: a cancelled job then stops where it
    /// is, its session left pending and its journal row as it was, for the next run to resume.
    let keepOnCancel: Flag
    /// How long a cancelled job's shielded call may still take (``EngineConfiguration/cancelGrace``).
    let cancelGrace: Duration
    /// What the journal keys this destination by (failed aborts are kept under it).
    let journalKey: String
    /// Parts of one multipart upload sent at once.
    let partJobs: Int

    var multipart: MultipartUploader { MultipartUploader(uploader: uploader, api: api, journal: journal, partJobs: partJobs) }

    struct Job: Sendable {
        var id: JobID
        var file: FileIdentity
        var mimeType: String
        var row: Int64
        var start: JobStateMachine.Start
        /// A create whose answer was never journaled: its requested name and intent time.
        var orphan: (name: String, since: Date)?
        /// The file on disk and its path, so the engine never queues that upload twice at once.
        var key: JobKey?
        /// How the user named the file, when not by its file name alone (a file met under
        /// `photos/` is `photos/a.jpg`); the s3 dialect puts it after its prefix.
        var naming: Naming = .fileName
        /// The file's change stamp when it was queued in this run (nil for a job of an
        /// earlier run): at its turn the file must still have it.
        var queuedStamp: FileIdentity.ChangeStamp?

        /// The name the file keeps at its destination.
        var remoteName: String { naming.name(of: file) }
    }

    /// How a job's remote name is made. A file found under a directory is named from its
    /// path when needed, not stored: a tree of 100,000 files would keep 100,000 more strings.
    enum Naming: Sendable {
        case fileName
        case given(String)
        /// `root` (shared by the whole tree) then the file's path without its first
        /// `dropping` bytes of UTF-8. Bytes, not `Character`s: a name that begins with a
        /// combining mark makes one `Character` of it and the `/` before it, so counting
        /// characters took the mark off the name (`\u{301}acc.txt` became `acc.txt`).
        case underRoot(String, dropping: Int)

        /// The name `file` keeps at its destination, named so.
        func name(of file: FileIdentity) -> String {
            switch self {
            case .fileName: return file.name
            case .given(let name): return name
            case .underRoot(let root, let dropping): return root + String(decoding: file.path.utf8.dropFirst(dropping), as: UTF8.self)
            }
        }
    }

    /// How a run ended: completed, failed (with the error its `failed` event carried) or cancelled.
    struct Ending: Sendable {
        var phase: UploadEngine.Phase
        var error: EngineError?
        /// A create of this run whose answer never came whole (cut off, or not one the
        /// dialect reads) though the server may have made its session: the name it asked
        /// for, when, and when the next create of the job began (nil if none did): a session
        /// made after that is not the lost one's.
        var unansweredCreate: (name: String, since: Date, until: Date?)?
    }

    func run(_ job: Job) async -> Ending {
        emit(EngineEvent(job: job.id, path: job.file.path, kind: .started))
        var lookedAt: Date?
        if let orphan = job.orphan { lookedAt = await sweepOrphans(named: orphan.name, since: orphan.since, before: nil) }
        let ending = await steps(job)
        // Once more at the end, over the same window: a server may commit the cut-off create
        // after the first look (its handler ran on after the client died), and a session
        // it made is then visible. Nothing created after the first look is touched.
        if let orphan = job.orphan, let lookedAt { _ = await sweepOrphans(named: orphan.name, since: orphan.since, before: lookedAt) }
        // A create of this run that got no answer it could read, retried with a new one:
        // the session the server may have made for it is looked for as a killed run's is
        // (this engine's own sessions, the one it went on with among them, are left alone).
        if let lost = ending.unansweredCreate, !(keepOnCancel.isSet && ending.phase == .cancelled) {
            _ = await sweepOrphans(named: lost.name, since: lost.since, before: lost.until)
        }
        return ending
    }

    /// The job's steps, from its start point to its end.
    private func steps(_ job: Job) async -> Ending {
        @Sendable func send(_ kind: EngineEvent.Kind) { emit(EngineEvent(job: job.id, path: job.file.path, kind: kind)) }
        var machine = JobStateMachine(policy: policy)
        var unansweredCreate: (name: String, since: Date, until: Date?)?
        /// How the job ends, with any create of it that went unanswered.
        func ending(_ phase: UploadEngine.Phase, _ error: EngineError? = nil) -> Ending {
            Ending(phase: phase, error: error, unansweredCreate: unansweredCreate)
        }
        // A job that goes on with the session a killed run left says which, as a new
        // session would: front ends learn the remote name (an S3 key) before any progress.
        switch job.start {
        case .resumeUpload(let session), .uploaded(let session, _):
            send(.sessionCreated(remoteID: session.id, filename: session.filename, resumed: true))
        case .fresh, .staleSession: break
        }
        var action = machine.start(job.start)
        var journaled = JournaledStep.Tracker(journal: journal, row: job.row)
        var askedBeforeResuming = false
        /// Writes the intent to complete `session`. Where no call follows (an S3 single PUT,
        /// whose PUT was the whole upload), a write that fails (its disk full) does not fail
        /// the job: the store holds the file whatever the journal says, as after `.finished`.
        /// Where a complete call follows, its intent must be written first.
        func recordCompleting(_ session: RemoteSession, md5: String, stamp: FileIdentity.ChangeStamp? = nil) throws(EngineError) {
            if api.completeCalls(session) {
                try journaled.record(.completing, session: session, md5: md5, stamp: stamp)
            } else {
                try? journaled.record(.completing, session: session, md5: md5, stamp: stamp)
            }
        }
        do {
            while true {
                if Task.isCancelled {
                    if keepOnCancel.isSet, !action.isFinal {
                        send(.cancelled)
                        return ending(.cancelled)
                    }
                    if let cancel = machine.cancel() { action = cancel }
                }
                switch action {
                case .createSession:
                    // A file that changed or went while it waited in the queue is not the one
                    // queued: refused before a session exists for it, not after.
                    do {
                        _ = try FileUploader.check(job.file, stamp: job.queuedStamp)
                    } catch {
                        action = .failed(error.isFileVanished ? .vanishedWhileQueued(job.file.path) : .changedWhileQueued(job.file.path))
                        continue
                    }
                    let name = api.requestedName(for: job.remoteName)
                    let intent = wallClock()
                    if let lost = unansweredCreate, lost.until == nil { unansweredCreate = (lost.name, lost.since, intent) }
                    try journaled.record(.creating, requestedName: name, intentAt: intent)
                    do {
                        let session = try await shielded(abandoning: keepOnCancel, grace: cancelGrace) {
                            try await api.createSession(name: name, size: job.file.size, mimeType: job.mimeType)
                        }
                        ownSessions.insert(session.pendingID)
                        let recorded: Result<Void, EngineError>
                        do throws(EngineError) {
                            try journaled.record(.uploading, session: session)
                            recorded = .success(())
                        } catch {
                            recorded = .failure(error)
                        }
                        if case .failure = recorded {
                            // The journal cannot say this session exists (its disk full), and the
                            // job ends here: nothing would ever use or cancel it. Cancelled now,
                            // while it is known; and no longer counted as this engine's own, so
                            // that should the cancel not go through, the next run over the file
                            // finds it by the intent journaled before the create.
                            ownSessions.remove(session.pendingID)
                            await cancelSession(session)
                        }
                        try recorded.get()
                        send(.sessionCreated(remoteID: session.id, filename: session.filename))
                        action = machine.sessionCreated(session, now: wallClock())
                    } catch {
                        // Cut off by a shutdown that keeps unfinished jobs, or by a cancel the
                        // server did not answer in time: the row stays `creating`, for the
                        // next run over the file to find the session by name.
                        if Task.isCancelled, keepOnCancel.isSet || error.isCancellation {
                            send(.cancelled)
                            return ending(.cancelled)
                        }
                        // Only a create with no answer (cut off after it was sent) or one that could
                        // not be read: a 429 or 5xx is the server's word that it made nothing.
                        if unansweredCreate == nil, error.status == nil, error.isTransient || error.codeName == "protocolViolation" {
                            unansweredCreate = (name, intent, nil)
                        }
                        guard error.isAlreadyExists else {
                            action = machine.createFailed(error, jitter: .random(in: 0..<1))
                            continue
                        }
                        // Taken before the file is read, as for an upload (see below).
                        let readStamp = try? FileUploader.check(job.file)
                        let same: (session: RemoteSession, etag: String)?
                        do {
                            same = try await storedAlready(job, name: name)
                        } catch let failure {
                            action = machine.createFailed(failure, jitter: .random(in: 0..<1))
                            continue
                        }
                        guard let same else {
                            action = machine.createFailed(error, jitter: .random(in: 0..<1))
                            continue
                        }
                        // Nothing was replaced, and the bytes are there: this file, completed.
                        try journaled.record(.uploading, session: same.session)
                        send(.sessionCreated(remoteID: same.session.id, filename: same.session.filename))
                        try journaled.record(.completing, md5: same.etag, stamp: readStamp)
                        action = .finished(same.session, md5: same.etag)
                    }
                case .upload(let session):
                    // A multipart upload taken up from a killed run, under --no-clobber, asks
                    // first as a new one does at its create: an object put at its key since
                    // would refuse its complete only after every remaining part was sent.
                    if !askedBeforeResuming, api.profile.noClobber, session.multipart != nil, case .resumeUpload = job.start {
                        do {
                            let stored = try await api.storedObject(named: session.id)
                            askedBeforeResuming = true
                            if let stored {
                                // These very bytes, stored by another upload: completed, and this
                                // one's parts, which nothing will complete, aborted.
                                if let same = try await storedAlready(job, stored: stored) {
                                    await cancelSession(session)
                                    try journaled.record(.completing, session: same.session, md5: same.etag)
                                    action = .finished(same.session, md5: same.etag)
                                } else {
                                    action = machine.uploadFailed(.alreadyExists(session.id), now: wallClock(), jitter: .random(in: 0..<1))
                                }
                                continue
                            }
                        } catch {
                            action = machine.uploadFailed(error, now: wallClock(), jitter: .random(in: 0..<1))
                            continue
                        }
                    }
                    try journaled.record(.uploading, session: session)
                    send(.progress(sent: 0, total: job.file.size))
                    // Taken before the bytes are read, kept with their md5: a later run trusts
                    // the completed row only while the file still has it (a write whose size
                    // and mtime were put back changes it). A change during the read leaves
                    // the file with another stamp, so at worst the next run uploads again.
                    let readStamp = try? FileUploader.check(job.file)
                    do {
                        let md5 = try await transfer(job, session: session, onVerifying: { checked, total in
                            send(.verifying(checked: checked, total: total))
                        }, onResumed: { held in
                            send(.resumed(held: held, total: job.file.size))
                        }) { sent in
                            send(.progress(sent: sent, total: job.file.size))
                        }
                        try recordCompleting(session, md5: md5, stamp: readStamp)
                        action = machine.uploadSucceeded(md5: md5)
                    } catch {
                        let error = api.interpret(error, for: session)
                        action = machine.uploadFailed(error, now: wallClock(), jitter: .random(in: 0..<1))
                        // A session that must be made again says so (an S3 upload id the
                        // store forgot starts again from the first part).
                        if action == .createSession { send(.retrying(attempt: 1, delay: .zero, reason: error.message)) }
                    }
                case .complete(let session, let md5):
                    try recordCompleting(session, md5: md5)
                    send(.completing)
                    do {
                        var parts: [UploadedPart] = []
                        if let multipart = session.multipart { parts = try journal.parts(row: job.row, uploadID: multipart.uploadID) }
                        let allParts = parts
                        _ = try await shielded(abandoning: keepOnCancel, grace: cancelGrace) {
                            try await api.complete(session, md5: md5, parts: allParts)
                        }
                        action = machine.completeSucceeded()
                    } catch {
                        // As for the create: the row stays `completing`, for the next run to complete.
                        if Task.isCancelled, keepOnCancel.isSet || error.isCancellation {
                            send(.cancelled)
                            return ending(.cancelled)
                        }
                        var refusal = api.interpret(error, for: session)
                        // A no-clobber complete refused because the object exists: an earlier
                        // attempt of this very complete may have made it and lost its answer.
                        if refusal.isAlreadyExists {
                            do {
                                if try await api.holds(session, md5: md5) {
                                    // This upload's own complete never happened (or its answer
                                    // was lost and the upload is gone, which the abort finds):
                                    // its parts would be kept, and billed, until aborted.
                                    if session.multipart != nil { await cancelSession(session) }
                                    action = machine.completeSucceeded()
                                    continue
                                }
                            } catch let failure {
                                refusal = failure
                            }
                        }
                        action = machine.completeFailed(refusal, now: wallClock(), jitter: .random(in: 0..<1))
                        // As after a PUT: an upload the store forgot is made again, and said so.
                        if action == .createSession { send(.retrying(attempt: 1, delay: .zero, reason: refusal.message)) }
                    }
                case .cancelSession(let session):
                    try journaled.record(.cancelling, session: session)
                    // Registered before the cancel can be kept: the journal's retry may make
                    // it at once (see `KeptCancels`).
                    keptCancels.register(session.pendingID, job: job.id, path: job.file.path)
                    let kept = await cancelSession(session)
                    action = machine.sessionCancelled()
                    // A job that ends here leaves its session open on the server until the
                    // kept cancel is made: its front ends say so, not just `cancelled`. (One
                    // that goes on with a new session says nothing: the old one is the
                    // journal's to cancel, the job's is alive.)
                    if let kept, action.isFinal {
                        keptCancels.announce(session.pendingID) { send(.cancelPending(reason: kept.message)) }
                    } else {
                        keptCancels.forget(session.pendingID)
                    }
                case .wait(let delay, let attempt, let reason):
                    send(.retrying(attempt: attempt, delay: delay, reason: reason))
                    try? await uploader.clock.sleep(for: delay)
                    action = machine.retryTimerFired(now: wallClock())
                case .finished(let session, let md5):
                    // The store holds the file whatever the journal says now, so the job is
                    // completed even if this write fails (its disk full): failed would send a
                    // user to upload again what is there. The row stays `completing`, and a
                    // later run's complete of the same session, answered as already done,
                    // finishes it without sending a byte.
                    try? journaled.record(.completed, session: session, md5: md5)
                    // A completed session is never pending again, so no sweep could take
                    // it: forgotten, or a run of 100,000 files would keep every id.
                    ownSessions.remove(session.pendingID)
                    send(.completed(remoteID: session.id, md5: md5))
                    return ending(.completed)
                case .failed(let error):
                    try? journaled.record(.failed, error: error.message)
                    send(.failed(error))
                    return ending(.failed, error)
                case .cancelled:
                    try journaled.record(.cancelled)
                    send(.cancelled)
                    return ending(.cancelled)
                }
            }
        } catch {
            // Only journal writes land here: without a journal the job cannot go on safely.
            send(.failed(error))
            return ending(.failed, error)
        }
    }

    /// Under `--no-clobber`, after a create or PUT was refused because the object exists:
    /// whether that object is this file as hoist uploads it, the same size and the ETag this
    /// file's bytes make as either layout hoist uploads in: one PUT (its MD5) or parts (the
    /// multipart ETag of hoist's part size for this size). Either, because the layout follows
    /// `--multipart-threshold`, which may differ between the run that stored it and this one.
    /// The file is read and hashed only once size and the ETag's form agree. A rerun whose
    /// journal did not know, or another machine's upload of the same bytes: completed.
    /// Returns the object's session and its ETag (what the file is reported with); nil for
    /// another object. `md5`: the whole file's, when already known.
    private func storedAlready(_ job: Job, name: String, md5: String? = nil) async throws(EngineError) -> (session: RemoteSession, etag: String)? {
        guard let stored = try await api.storedObject(named: name) else { return nil }
        return try await storedAlready(job, stored: stored, md5: md5)
    }

    /// Whether `stored`, an object already asked about, is this file (``storedAlready(_:name:md5:)``).
    private func storedAlready(_ job: Job, stored: StoredObject, md5: String? = nil) async throws(EngineError) -> (session: RemoteSession, etag: String)? {
        guard stored.size == job.file.size else { return nil }
        let etag: String
        if Hex.isDigits(stored.etag, count: 32) {
            if let md5 { etag = md5 } else { etag = try await FileDigest.md5(of: job.file.path, range: 0..<job.file.size, chunkSize: uploader.chunkSize).hex }
        } else {
            let plan = PartPlan(size: job.file.size, partSize: PartPlan.partSize(for: job.file.size))
            guard plan.count > 0, stored.etag.hasSuffix("-\(plan.count)") else { return nil }
            var digests: [[UInt8]] = []
            for number in 1...plan.count {
                digests.append(try await FileDigest.md5(of: job.file.path, range: plan.range(of: number), chunkSize: uploader.chunkSize).bytes)
            }
            etag = FileDigest.multipartETag(partMD5s: digests)
        }
        return etag == stored.etag ? (stored.session, etag) : nil
    }

    /// Sends the session's bytes: one PUT, or the parts of a multipart upload. Returns the
    /// MD5 of the file (the expected S3 ETag of a multipart object).
    private func transfer(_ job: Job, session: RemoteSession, onVerifying: @escaping @Sendable (Int64, Int64) -> Void,
                          onResumed: @escaping @Sendable (Int64) -> Void,
                          onProgress: @escaping @Sendable (Int64) -> Void) async throws(EngineError) -> String {
        if session.multipart != nil {
            let parts = try await multipart.upload(job.file, session: session, row: job.row, onVerifying: onVerifying,
                                                   onResumed: onResumed, onProgress: onProgress)
            guard let etag = MultipartUploader.expectedETag(parts) else { throw .protocolViolation("a part without an MD5") }
            onProgress(job.file.size)
            return etag
        }
        var digest: FileDigest.MD5?
        if api.sendsContentMD5 {
            digest = try await FileDigest.md5(of: job.file.path, range: 0..<job.file.size, chunkSize: uploader.chunkSize)
        }
        let sent: FileUploader.Sent
        do {
            sent = try await uploader.upload(job.file, to: try api.putTarget(for: session, contentMD5: digest?.base64), onProgress: onProgress)
        } catch where error.status == 412 {
            // Refused because the object exists (no-clobber). If it holds these very bytes,
            // they are stored: an earlier attempt put them there and lost its answer, or a
            // run with a lower `--multipart-threshold` stored them as parts.
            // One HEAD tells both layouts apart (``storedAlready``).
            guard let digest, let stored = try await storedAlready(job, name: session.id, md5: digest.hex) else { throw error }
            onProgress(job.file.size)
            return stored.etag
        }
        if let digest, sent.md5 != digest.hex { throw .fileChanged(job.file.path) }
        if api.checksPutETag {
            // An answer without an MD5 (no ETag, or not of an MD5's shape) from a store that
            // does not say it encrypts: its HEAD is asked instead, or a store that ignored
            // `Content-MD5` could keep other bytes unseen.
            var stored = sent.storedMD5
            if stored == nil, !sent.encrypted { stored = try await api.storedMD5(of: session) }
            if let stored, stored != sent.md5 {
                throw .http(status: 422, code: "checksum_mismatch", message: "the store's ETag \(stored) is not the MD5 sent (\(sent.md5))")
            }
        }
        return sent.md5
    }

    /// Cancels a session on the server. A presigned-URL session is cancelled once (one
    /// already finished answers 409); when the server cannot be reached (the failure that
    /// most often ends a job with its session open), the cancel is kept in the journal for
    /// the next run, or the user would find a PENDING file hoist had given up on. A
    /// multipart upload keeps its parts (and their cost) until aborted, so its abort is
    /// tried up to four times, and one that still fails is kept the same way.
    ///
    /// Returns the failure of a cancel kept in the journal for later (the session stays open
    /// on the server until it is made); nil when it went through, the server's answer was
    /// final, or the journal could not keep it (then nothing will make it: nothing is promised).
    @discardableResult
    private func cancelSession(_ session: RemoteSession) async -> EngineError? {
        let clock = uploader.clock, journal = journal, key = journalKey, grace = cancelGrace
        @Sendable func keep(_ failure: EngineError) -> EngineError? {
            let kept = failure.isCancellation ? Self.noAnswer(within: grace) : failure
            do {
                try journal.addPendingAbort(endpoint: key, session: session, error: kept.message)
                return kept
            } catch {
                return nil
            }
        }
        guard session.multipart != nil else {
            guard api.cancelsSessions else { return nil }
            do {
                try await shielded(grace: cancelGrace) { try await api.cancel(session) }
            } catch where Self.mayCancelLater(error) || error.isCancellation {
                return keep(error)
            } catch {}
            return nil
        }
        // Shielded as a whole: four tries on a hung store would be four timeouts. Cut off,
        // the try under way fails as cancelled and the abort is kept for the next start.
        // (The body never throws, so neither does the shield.)
        let kept = try? await shielded(grace: cancelGrace) { () async -> EngineError? in
            var lastError: EngineError?
            for attempt in 0..<4 {
                if attempt > 0 { try? await clock.sleep(for: .milliseconds(500 << (attempt - 1))) }
                do {
                    try await api.cancel(session)
                    return nil
                } catch {
                    let mapped = HTTPTransport.map(error)
                    lastError = mapped
                    if !mapped.isTransient { break }
                }
            }
            return keep(lastError ?? .protocolViolation("abort failed"))
        }
        return kept ?? nil
    }

    /// A cancel or abort cut off at the cancel grace, as its reason says it (not the bare
    /// "cancelled" of the cut itself).
    static func noAnswer(within grace: Duration) -> EngineError {
        let milliseconds = grace.wholeMilliseconds
        return .network("no answer within " + (milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"))
    }

    /// Tries again the cancels and aborts earlier runs could not make; each one that
    /// succeeds (or finds the upload gone) leaves the journal. So does a session cancel the
    /// server refuses for good (409: it completed or was cancelled meanwhile; 404: gone);
    /// a multipart abort is kept until it succeeds, as its parts cost until then.
    /// A job of this engine that said `cancelPending` hears `cancelDone` once its cancel
    /// leaves the journal.
    func retryPendingAborts() async {
        guard let pending = try? journal.pendingAborts(endpoint: journalKey) else { return }
        for (id, session) in pending {
            do {
                try await api.cancel(session)
                try journal.removePendingAbort(id: id)
            } catch {
                let mapped = HTTPTransport.map(error)
                guard session.multipart == nil, !Self.mayCancelLater(mapped) else { continue }
                try? journal.removePendingAbort(id: id)
                // Given up (400, 401, 403: the server will never take it from this key), not
                // made: the job's `cancelPending` stays its last word. 404 and 409 say the
                // session has ended, which is what the cancel was for.
                guard mapped.status == 404 || mapped.status == 409 else {
                    keptCancels.forget(session.pendingID)
                    continue
                }
            }
            keptCancels.made(session.pendingID) { emit(EngineEvent(job: $0, path: $1, kind: .cancelDone)) }
        }
    }

    /// Whether a failed cancel may still be made: the server was not reached (refused, a
    /// timeout, a cut connection) or answered 5xx. Any other answer is its last word.
    static func mayCancelLater(_ error: EngineError) -> Bool {
        !error.isCancellation && (error.status == nil || error.isTransient)
    }

    /// Cancels pending sessions named like `name` created from `since` (less 5 s of clock
    /// skew) up to `before` (default: now) that this engine does not own: the trace of a
    /// create whose answer a killed run never recorded. Returns when it looked, nil if the
    /// listing failed.
    private func sweepOrphans(named name: String, since: Date, before: Date?) async -> Date? {
        guard api.cancelsSessions else { return nil }
        let lookupStart = wallClock()
        let end = before ?? lookupStart
        // Asked up to four times (0.5, 1, 2 s apart) while the answer is one worth another
        // try (a 503 SlowDown): a look given up leaves the session the lost create made, which
        // nothing else would ever find (an S3 multipart upload's parts cost until aborted).
        // Shielded whole: the job has ended, and a shutdown (`hoist upload` done) leaves it
        // the grace a call has.
        let api = api, clock = uploader.clock
        guard let pending = try? await shielded(grace: cancelGrace, {
            try await BriefRetry.run(clock: clock) { () async throws(EngineError) in
                try await api.list(status: "PENDING", since: since.addingTimeInterval(-5), named: name)
            }
        }) else { return nil }
        for file in pending where NameStamp.matches(stored: file.filename, requested: name) && !ownSessions.contains(file.uploadID ?? file.id) {
            if let created = file.createdAt, created >= end { continue }
            if let uploadID = file.uploadID {
                // One multipart upload of the key, not the key's every one (`cancel(id:)`):
                // this engine's own upload of it may be open beside it.
                try? await shielded(grace: cancelGrace) { try await api.abortMultipartUpload(key: file.id, uploadID: uploadID) }
            } else {
                try? await shielded(grace: cancelGrace) { try await api.cancel(id: file.id) }
            }
        }
        return lookupStart
    }
}

/// Runs `body` in a task of its own, so cancelling the caller does not abort it; unless
/// `abandoning` is set when the caller is cancelled (a SIGTERM's shutdown, which keeps
/// unfinished jobs as a kill would): the call is cut off then, as the intent journaled
/// before it already tells the next run what to look for. With a `grace`, a cancelled
/// caller waits at most that long more, then the call is cut off too (`.cancelled`).
func shielded<T: Sendable>(abandoning: Flag? = nil, grace: Duration? = nil, _ body: @escaping @Sendable () async throws -> T)
    async throws(EngineError) -> T
{
    let task = Task { () async -> Result<T, EngineError> in
        do { return .success(try await body()) } catch { return .failure(HTTPTransport.map(error)) }
    }
    let result = await withTaskCancellationHandler {
        await task.value
    } onCancel: {
        if abandoning?.isSet == true {
            task.cancel()
        } else if let grace {
            Task {
                try? await Task.sleep(for: grace)
                task.cancel()
            }
        }
    }
    return try result.get()
}

/// A switch set once, read from any task.
final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

/// The session ids created in this process and not completed: the ones an orphan sweep
/// (which looks at pending sessions only) must leave alone.
final class OwnSessions: Sendable {
    private let ids = Mutex<Set<String>>([])
    func insert(_ id: String) { _ = ids.withLock { $0.insert(id) } }
    func remove(_ id: String) { _ = ids.withLock { $0.remove(id) } }
    func contains(_ id: String) -> Bool { ids.withLock { $0.contains(id) } }
}
