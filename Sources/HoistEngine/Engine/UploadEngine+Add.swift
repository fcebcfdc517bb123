import Foundation

extension UploadEngine {
    /// `add` queues a tree in batches of this many files (the first smaller, so the first
    /// upload starts at once), the engine free for its running jobs between batches.
    static let firstBatch = 32
    static let batch = 512
    /// The backlog front ends hold a large `add` at (``add(paths:names:backlog:parts:walk:)``):
    /// `hoist upload`'s default, the TUI's, and a new background engine's resume. Files
    /// queued ahead of the uploads, at most (the walk goes on once half have started):
    /// enough to keep 32 uploads busy for many round trips, small enough that a tree of any
    /// size costs the same memory.
    public static let defaultBacklog = 4096

    /// Queues files; a directory adds the regular files under it (hidden ones and links
    /// inside it skipped), sorted by path.
    ///
    /// Every file is checked first, with no network call (`preflight`): a path that cannot be
    /// uploaded (missing, unreadable, empty, too large, a type the destination refuses) gets a
    /// job that fails at once and never a server session. A directory that cannot be listed,
    /// given here or met while walking, gets such a failed job too. Every new id returned
    /// gets exactly one final event.
    ///
    /// A file already queued or running here (the same file on disk: same device and inode,
    /// whether named directly, through a link or twice in `paths`) is not queued again and is
    /// not a failure: its existing job's id is returned again, with no new event. So the ids
    /// returned may repeat, and may name jobs of an earlier call.
    ///
    /// A file the journal knows (same endpoint, path, size, mtime) resumes where the last
    /// run stopped; one it knows as completed is reported completed without uploading again.
    ///
    /// `names` (one per path) is the name each keeps at its destination, for a client whose
    /// working directory is not the engine's; by default ``relativeName(_:)`` of the path as
    /// given. A file found under a directory is named the directory's name, then its path
    /// below it (`photos/2024/a.jpg`). Only the s3 dialect keeps more than the last component.
    ///
    /// Queueing streams: a directory is read one listing at a time and its files are queued
    /// in batches, so the first uploads start while the rest of a large tree is still being
    /// read, and the journal learns each batch in one transaction. Between batches the
    /// engine runs its other commands: `cancelQueued`, `cancelAllPending` or `shutdown`
    /// meanwhile stop the walk, and the files not reached get no job (and are not returned).
    ///
    /// `backlog`: at most about this many jobs wait in the queue while this call walks; the
    /// walk holds until half of them have started. A tree of 100,000 files then costs memory
    /// for the files on their way, not for every file at once (rclone's `--max-backlog` does
    /// the same). The call then returns only once its last file is queued, so it suits a
    /// caller that reports events meanwhile (`hoist upload`), not one that must answer at
    /// once with every id unless it follows `parts`. Nil: no bound.
    ///
    /// `parts`: each batch's ids are delivered there as the batch is queued (and its
    /// `batches` finish when this returns); ``stop(_:)`` ends the walk at its next batch,
    /// held or not.
    ///
    /// An add of more than one batch is journaled as a walk before its first batch is
    /// queued (``Journal/beginWalk(endpoint:paths:)``), and how far it got after each: the
    /// files it has not reached yet have no job, and a kill (or ``shutdown(keepingUnfinished:)``
    /// keeping them) must not lose them. ``unfinishedPaths()`` gives them back. A walk that
    /// ends, or that the user stops, leaves no record. An add whose turn comes after
    /// shutdown queues nothing and keeps (or makes) its record when the shutdown keeps
    /// what is unfinished.
    ///
    /// `walk`: the record ``journalWalk(_:)`` made of these `paths` before this call; it is
    /// used instead of a new one (and ended the same way).
    @discardableResult
    public func add(paths: [String], names: [String]? = nil, backlog: Int? = nil, parts: AddParts? = nil,
                    walk: WalkRecord? = nil) async -> [JobID] {
        defer { parts?.finish() }
        watchPendingAborts()
        // An add journaled ahead (or a walk taken over) names its paths as its record says.
        let names = names ?? walk.flatMap { try? journal.walkNames($0.id) } ?? nil
        var batch = Batch(generation: addGeneration, backlog: backlog.map { max($0, 2) }, parts: parts, paths: paths, names: names)
        batch.walk = walk?.id
        var standardizer = PathStandardizer()
        for (index, given) in paths.enumerated() {
            let path = standardizer.absolute(given)
            let name = names.flatMap { index < $0.count ? $0[index] : nil } ?? Self.relativeName(given, absolute: path)
            guard Self.isDirectory(path) else {
                // Named by its file name, as most are, it keeps no name of its own.
                let naming: JobRunner.Naming = name == (path as NSString).lastPathComponent ? .fileName : .given(name)
                batch.pending.append(candidate(path, naming: naming))
                batch.resumeAt = index + 1
                guard await flush(&batch) else { return stopped(batch) }
                continue
            }
            // Until its last file is queued, a resumed walk walks this directory again.
            batch.resumeAt = index
            for entry in DirectoryWalk(path) {
                switch entry {
                case .file(let file):
                    // Unnamed (the current directory): its files' paths below it, without the `/`.
                    let naming: JobRunner.Naming = name.isEmpty
                        ? .underRoot("", dropping: path.hasSuffix("/") ? path.utf8.count : path.utf8.count + 1)
                        : .underRoot(name, dropping: path.utf8.count)
                    batch.pending.append(candidate(file, naming: naming))
                case .refused(let path, let error): batch.pending.append(.refused(path, error))
                }
                guard await flush(&batch) else { return stopped(batch) }
            }
        }
        guard await flush(&batch, force: true) else { return stopped(batch) }
        return batch.ids
    }

    /// Journals `paths` as a walk not begun yet, at once and from any thread; the record is
    /// for the `add` that walks them (nil when the journal refused it: that add then records
    /// its walk itself). For a front end that hands over paths the engine will not take for
    /// a while: the TUI's `u` goes a slice at a time, each slice's add waiting behind one
    /// held for room, and a kill meanwhile must not lose the slices not begun.
    ///
    /// `names`: what `add` is given as its `names`, if anything. The record keeps the name of
    /// each path unless every one is its path's last component (the TUI's absolute paths):
    /// a path given relative (`a/b/photos`) is named by more than its record's absolute path
    /// says, and a run that takes the walk over must name its files the same.
    public nonisolated func journalWalk(_ paths: [String], names: [String]? = nil) -> WalkRecord? {
        Self.journalWalk(paths, names: names, in: journal, endpoint: configuration.journalKey)
    }

    /// The names a walk record keeps for `paths` (`absolute`, as it keeps them): nil when
    /// each is its path's last component. Absolute paths given without names (the TUI's
    /// slices of 4,096, journaled as they arrive) are so by rule, and are not looked at one
    /// by one: doing so for 25 slices held the background engine's first upload of a
    /// 100,000-file `u` from 0.36 s to 0.94 s.
    static func walkNames(_ paths: [String], names: [String]?, absolute: [String]) -> [String]? {
        if names == nil, paths.allSatisfy({ $0.hasPrefix("/") && !$0.hasSuffix("/..") && !$0.hasSuffix("/.") }) { return nil }
        let named = paths.indices.map { index in
            names.flatMap { index < $0.count ? $0[index] : nil } ?? Self.relativeName(paths[index], absolute: absolute[index])
        }
        return zip(named, absolute).allSatisfy { $0 == ($1 as NSString).lastPathComponent } ? nil : named
    }

    /// Ends `walk`'s record without walking it: its files are not to be queued by anyone.
    public nonisolated func endWalk(_ walk: WalkRecord) {
        try? journal.endWalk(walk.id)
    }

    /// The paths `walk` keeps (absolute), read back from the journal: an add journaled
    /// ahead of its turn need not hold them meanwhile. Nil when the record is gone; throws
    /// when the journal could not be read (the record may still be there).
    public nonisolated func paths(of walk: WalkRecord) throws(EngineError) -> [String]? {
        try journal.walkPaths(walk.id)
    }

    /// The paths a walk record keeps: absolute, so that another working directory finds them.
    private static func walkPaths(_ paths: [String]) -> [String] {
        paths.allSatisfy { $0.hasPrefix("/") } ? paths : paths.map(absolute)
    }

    /// A walk that stopped early: its record goes, unless the engine is shutting down and
    /// keeping what is unfinished for the next run. A walk the user stopped or dropped
    /// (``AddParts/stop()``, cancel all) goes whatever the shutdown: it is not unfinished.
    private func stopped(_ batch: Batch) -> [JobID] {
        let dropped = batch.parts?.isStopped == true || batch.generation != addGeneration
        if let walk = batch.walk, dropped || !(shuttingDown && keepOnCancel.isSet) { try? journal.endWalk(walk) }
        return batch.ids
    }

    /// What an earlier run left, taken on (``resumeUnfinished(paused:)``): its jobs queued
    /// again, and the paths its walks had not reached, journaled anew as `walk` for the add
    /// that will queue them.
    public struct Resumed: Sendable {
        public let jobs: [JobID]
        public let walkPaths: [String]
        public let walk: WalkRecord?
    }

    /// Takes on what an earlier run left unfinished (a kill, or a shutdown keeping it), as
    /// a front end starting on this journal does: the walks' paths are journaled anew in
    /// the transaction that ends their old records (queueing would end those), then the
    /// jobs are queued at once, each with the row only a job can cancel, so that a cancel
    /// of everything finds every one. The walks' paths are the caller's to add, a window
    /// at a time, with `walk`. `paused`: pause first, when there is anything, so that none
    /// starts before the user says.
    public func resumeUnfinished(paused: Bool = false) async -> Resumed {
        let left = unfinishedNamed()
        if paused, !left.jobs.isEmpty || !left.walks.isEmpty { pause() }
        let walk = takeOverWalks(left.walks, names: left.walkNames)
        // Under the names they were queued with: a row or walk of `a/b/photos` is not `photos`.
        let jobs = left.jobs.isEmpty ? [] : await add(paths: left.jobs, names: left.jobNames)
        return Resumed(jobs: jobs, walkPaths: left.walks, walk: walk)
    }

    /// Journals `paths` (the walks ``unfinished()`` gave back) as one walk not begun, for
    /// the add that will take them on (its `walk`), and ends the old records in the same
    /// transaction: a kill at any moment leaves them once, in old records or in the new
    /// one. The old records stay when the journal refuses the new one (nil).
    func takeOverWalks(_ paths: [String], names: [String]? = nil) -> WalkRecord? {
        let absolute = Self.walkPaths(paths)
        let kept = names.flatMap { names in zip(names, absolute).allSatisfy { $0 == ($1 as NSString).lastPathComponent } ? nil : names }
        guard !paths.isEmpty,
              let id = try? journal.beginWalk(endpoint: configuration.journalKey, paths: absolute, names: kept, replacing: resumedWalks)
        else { return nil }
        resumedWalks = []
        return WalkRecord(journaled: id)
    }

    /// Ends the records of the walks ``unfinished()`` gave back: an add has taken them on,
    /// or the user dropped everything pending.
    func endResumedWalks() {
        for id in resumedWalks { try? journal.endWalk(id) }
        resumedWalks = []
    }

    /// A walk journaled ahead of its `add` (``journalWalk(_:)``).
    public struct WalkRecord: Sendable, Equatable {
        let id: Int64

        /// The record journaled as `id` (by ``journalWalk(_:in:endpoint:)``, in another process).
        public init(journaled id: Int64) { self.id = id }

        /// Its id in the journal.
        public var journalID: Int64 { id }
    }

    /// Journals absolute `paths` as a walk not begun yet, in `journal` for `endpoint`, from a
    /// client of the background engine (the TUI's slices): the add that names the record
    /// takes it over, as it takes over one ``journalWalk(_:names:)`` made, and one that never
    /// reaches the engine (its connection gone first) is resumed by the next engine. Nil
    /// when the journal refused it.
    public static func journalWalk(_ paths: [String], names: [String]? = nil, in journal: Journal, endpoint: String) -> WalkRecord? {
        let absolute = walkPaths(paths)
        return (try? journal.beginWalk(endpoint: endpoint, paths: absolute, names: walkNames(paths, names: names, absolute: absolute)))
            .map(WalkRecord.init)
    }

    /// One `add` under way: what it found and has not queued yet, and the ids so far.
    struct Batch {
        /// `addGeneration` when the add began.
        let generation: Int
        /// The queue length the walk holds at (see `add`).
        let backlog: Int?
        /// Who is told each batch's ids, and may stop the walk.
        let parts: AddParts?
        /// The paths given to `add`, journaled as a walk once there is more than one batch.
        let paths: [String]
        /// The names given with them, if any (kept with the walk).
        let names: [String]?
        /// The walk's journal record, once made.
        var walk: Int64?
        /// The first path not wholly queued once what is pending is.
        var resumeAt = 0
        var pending: [Candidate] = []
        var limit = UploadEngine.firstBatch
        var ids: [JobID] = []
    }

    /// Queues what is pending once there is a batch of it (or when `force`), then lets the
    /// engine's other work in; false when the queue was dropped meanwhile (Ctrl-C, cancel
    /// all, shutdown) or the walk was stopped (``stop(_:)``): the add stops walking.
    private func flush(_ batch: inout Batch, force: Bool = false) async -> Bool {
        guard force || batch.pending.count >= batch.limit else { return true }
        // Stopped before this batch was queued (``AddParts/stop()``): none of it is.
        guard batch.parts?.isStopped != true else { return false }
        // An add whose turn came after the engine shut down (one waiting behind another
        // when `hoist stop` came) queues nothing either: its jobs would never run. Its
        // record is what the next engine resumes; one that has none yet gets one now
        // (nothing of it is queued), unless the shutdown drops what is unfinished.
        if shuttingDown {
            if batch.walk == nil, keepOnCancel.isSet { batch.walk = journalWalk(batch.paths, names: batch.names)?.id }
            return false
        }
        // More batches may follow: the files not reached yet are journaled before any is queued.
        if !force, batch.walk == nil { batch.walk = journalWalk(batch.paths, names: batch.names)?.id }
        let ids = admit(batch.pending)
        // The walks ``unfinishedPaths()`` gave back are this add's now (or were re-added).
        endResumedWalks()
        if let walk = batch.walk {
            // The last batch queued, the walk is over, even if it now waits for room.
            if force {
                try? journal.endWalk(walk)
                batch.walk = nil
            } else {
                try? journal.advanceWalk(walk, next: batch.resumeAt)
            }
        }
        batch.ids += ids
        if force { batch.parts?.markWalked() }
        batch.parts?.deliver(ids)
        batch.pending.removeAll(keepingCapacity: true)
        batch.limit = Self.batch
        await Task.yield()
        if let backlog = batch.backlog { await waitForRoom(backlog: backlog, generation: batch.generation, parts: batch.parts) }
        return batch.generation == addGeneration && !shuttingDown && batch.parts?.isStopped != true
    }

    /// Uploads earlier runs completed to this destination (from the journal), newest first.
    public func history(limit: Int = 1000) -> [JournalEntry] {
        (try? journal.completed(endpoint: configuration.journalKey, limit: limit)) ?? []
    }

    /// What an earlier run left unfinished for this endpoint, as paths to add again: the
    /// jobs the journal shows unfinished, then the paths that walks cut short (a kill, or a
    /// shutdown keeping them) had not reached. Those walks' records stay until the next
    /// `add` has queued its first batch and journaled its own walk (the caller adds these
    /// paths), ``takeOverWalks(_:)`` replaces them, or the user drops everything pending:
    /// a kill before that finds them again.
    public func unfinishedPaths() -> [String] {
        let left = unfinished()
        return left.jobs + left.walks
    }

    /// ``unfinishedPaths()`` in its two parts: the files that had jobs (each has a journal
    /// row, which only an `add` of its path can take on, or cancel), and the paths of the
    /// walks cut short (no row yet). A front end may take the first at once and the second
    /// a window at a time: a walk stopped early leaves nothing behind, a row would.
    public func unfinished() -> (jobs: [String], walks: [String]) {
        let left = unfinishedNamed()
        return (left.jobs, left.walks)
    }

    /// ``unfinished()`` with the name each path was queued under (a row of an older hoist,
    /// which kept none: its file name).
    func unfinishedNamed() -> (jobs: [String], jobNames: [String], walks: [String], walkNames: [String]) {
        let key = configuration.journalKey
        var rows = (try? journal.unfinished(endpoint: key)) ?? []
        // A cancel under way when its run ended is finished, never resumed as an upload: the
        // row ends cancelled and its session's cancel is made where the dialect has one, as
        // the job's own cancel would (a Luw upload never finalized is dropped by the server).
        if rows.contains(where: { $0.state == .cancelling }) {
            let api = api
            let queued = (try? journal.endCancelling(rows, endpoint: key) { $0.multipart != nil || api.cancelsSessions }) ?? 0
            rows.removeAll { $0.state == .cancelling }
            if queued > 0 { abortEndedUploads() }
        }
        let jobs = rows.map(\.file.path), jobNames = rows.map { $0.name ?? $0.file.name }
        guard let walks = try? journal.unfinishedWalks(endpoint: key), !walks.ids.isEmpty else { return (jobs, jobNames, [], []) }
        resumedWalks = walks.ids
        // A batch's rows and its walk's advance are two transactions: a kill between them
        // leaves that batch's files both as rows and as paths the walk had not reached. The
        // rows have them; given twice, a front end would count and list each twice.
        let queued = Set(jobs)
        let left = zip(walks.paths, walks.names).filter { !queued.contains($0.0) }
        return (jobs, jobNames, left.map(\.0), left.map(\.1))
    }

    /// The name a file keeps at its destination: the path as given when it is relative and
    /// stays below the current directory (`photos/a.jpg`; `a/../b/x.jpg` is `b/x.jpg`, its
    /// `..` taken against the name before it), else the file's name (of `absolute`, the
    /// path made absolute, when given: `..` names the directory it leads to). The current
    /// directory itself (`.`, `./`, `a/..`) is named by nothing: its files keep their paths
    /// below it (`a.jpg`, `sub/b.jpg`), never `./a.jpg`.
    public static func relativeName(_ given: String, absolute: String? = nil) -> String {
        let parts = given.split(separator: "/").filter { $0 != "." }
        // The current directory, or the root: named by nothing (`/` is no name: its files
        // keep their paths below it, `etc/hosts`, not `//etc/hosts`).
        if parts.isEmpty { return "" }
        var below: [Substring]? = []
        for part in parts where below != nil {
            if part != ".." { below?.append(part) } else if below?.popLast() == nil { below = nil }
        }
        guard !given.hasPrefix("/"), let below else {
            // The name as given (a symlink keeps its own), unless it ends in `..`, which
            // names the directory it leads to.
            guard parts.last == ".." else { return (given as NSString).lastPathComponent }
            return ((absolute ?? Self.absolute(given)) as NSString).lastPathComponent
        }
        return below.joined(separator: "/")
    }

    /// A path met by `add`, checked (no network): a file to queue, or why it cannot be.
    enum Candidate {
        case file(LocalFile, naming: JobRunner.Naming)
        case refused(String, EngineError)
    }

    private func candidate(_ path: String, naming: JobRunner.Naming) -> Candidate {
        do {
            return .file(try inspect(path), naming: naming)
        } catch {
            return .refused(path, error)
        }
    }

    /// Gives each candidate its job, in order: the journal is asked about every new file
    /// in one transaction; a file already queued or running (or earlier in the batch)
    /// keeps the job it has. A refused path's unfinished rows (a file gone since a run was
    /// killed) end in the same transaction: otherwise every start would bring it back.
    private func admit(_ candidates: [Candidate]) -> [JobID] {
        var keys = Set<JobKey>()
        var fresh: [(index: Int, file: FileIdentity, stamp: FileIdentity.ChangeStamp?, name: String)] = []
        var refused: [(path: String, reason: String)] = []
        for (index, candidate) in candidates.enumerated() {
            if case .refused(let path, let error) = candidate { refused.append((path, error.message)) }
            guard case .file(let local, let naming) = candidate else { continue }
            let key = local.jobKey
            guard inFlight[key] == nil, keys.insert(key).inserted else { continue }
            fresh.append((index, local.identity, local.stamp, naming.name(of: local.identity)))
        }
        let endpoint = configuration.journalKey
        let admissions: Result<[Journal.Admission], EngineError>
        do throws(EngineError) {
            if fresh.isEmpty && refused.isEmpty {
                admissions = .success([])
            } else {
                let admitted = try journal.admit(endpoint: endpoint, files: fresh.map(\.file), stamps: fresh.map(\.stamp),
                                                 names: fresh.map(\.name), refused: refused,
                                                 namesAreObjects: configuration.profile.dialect != .lightfield,
                                                 objectName: api.requestedName(for:), objectSpace: configuration.objectSpace,
                                                 sessionNamesObject: configuration.profile.dialect == .luw)
                if admitted.abortsQueued > 0 { abortEndedUploads() }
                admissions = .success(admitted.admissions)
            }
        } catch {
            admissions = .failure(error)
        }
        var admitted: [Int: Result<Journal.Admission, EngineError>] = [:]
        for (offset, entry) in fresh.enumerated() {
            admitted[entry.index] = admissions.map { $0[offset] }
        }
        var ids: [JobID] = []
        var byKey: [JobKey: JobID] = [:]
        for (index, candidate) in candidates.enumerated() {
            switch candidate {
            case .refused(let path, let error):
                ids.append(addFailed(path, error))
            case .file(let local, let naming):
                let key = local.jobKey
                if let existing = inFlight[key] ?? byKey[key] {
                    ids.append(existing)
                } else if let admission = admitted[index] {
                    let id = queue(local, naming: naming, admission)
                    byKey[key] = id
                    ids.append(id)
                }
            }
        }
        return ids
    }

    /// A new job for a checked file, going on from where the journal says it got to.
    private func queue(_ local: LocalFile, naming: JobRunner.Naming, _ admission: Result<Journal.Admission, EngineError>) -> JobID {
        let id = makeID()
        let file = local.identity, path = file.path
        var job = JobRunner.Job(
            id: id, file: file, mimeType: local.mimeType, row: 0, start: .fresh, orphan: nil,
            key: local.jobKey, naming: naming,
            queuedStamp: local.stamp)
        switch admission {
        case .failure(let error):
            records[id] = Record(job: JobRunner.Job(id: id, file: file, mimeType: "", row: 0, start: .fresh), phase: .failed)
            emit(id, path: path, .failed(error))
            return id
        case .success(.elsewhere(let pid)):
            // Failed, not queued: `retry` asks the journal again.
            records[id] = Record(job: job, phase: .failed)
            emit(id, path: path, .failed(.uploadingElsewhere(path, pid: pid)))
            return id
        case .success(.new(let row)):
            job.row = row
        case .success(.known(let entry)) where entry.state == .completed:
            // Reported, not kept: a completed job is done with (see `ended`).
            emit(id, path: path, .queued(size: file.size))
            emit(id, path: path, .completed(remoteID: entry.session?.id ?? "", md5: entry.md5 ?? ""))
            return id
        case .success(.known(let entry)):
            job.row = entry.rowID
            job.start = Self.resumePoint(state: entry.state, entry: entry)
            if entry.state == .creating, let name = entry.requestedName, let since = entry.intentAt {
                job.orphan = (name, since)
            }
        }
        if let error = nameClash(for: job) {
            // A new row ends here; a row a killed run left (its session, its parts) stays
            // for a run in which its name is free.
            if case .success(.new) = admission { try? journal.update(job.row, state: .failed, error: error.message) }
            records[id] = Record(job: job, phase: .failed)
            emit(id, path: path, .failed(error))
            return id
        }
        enqueue(id, job)
        return id
    }

    /// A new job for `path` that fails at once with `error` (its only event); `retry` may
    /// queue it again later.
    private func addFailed(_ path: String, _ error: EngineError) -> JobID {
        let id = makeID()
        records[id] = Record(
            job: JobRunner.Job(id: id, file: FileIdentity(path: path, size: 0, mtimeNanos: 0), mimeType: "", row: 0, start: .fresh),
            phase: .failed)
        emit(id, path: path, .failed(error))
        return id
    }

    private static func resumePoint(state: JournalEntry.State, entry: JournalEntry) -> JobStateMachine.Start {
        guard let session = entry.session else { return .fresh }
        if state == .completing, let md5 = entry.md5 { return .uploaded(session, md5: md5) }
        // A multipart upload goes on: the store keeps the parts already sent.
        if state == .uploading, session.multipart != nil { return .resumeUpload(session) }
        return .staleSession(session)
    }

    /// `path` made absolute and standard: links resolved where they lead, `.` and `..`
    /// components and doubled slashes gone (``PathStandardizer``).
    public static func absolute(_ path: String) -> String {
        var standardizer = PathStandardizer()
        return standardizer.absolute(path)
    }
}
