import Foundation

extension UploadEngine {
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
    @discardableResult
    public func add(paths: [String], names: [String]? = nil) -> [JobID] {
        var ids: [JobID] = []
        for (index, given) in paths.enumerated() {
            let path = Self.absolute(given)
            let name = names.flatMap { index < $0.count ? $0[index] : nil } ?? Self.relativeName(given)
            guard Self.isDirectory(path) else {
                ids.append(addFile(path, remoteName: name))
                continue
            }
            let root = name
            for entry in Self.walk(path) {
                switch entry {
                case .file(let file): ids.append(addFile(file, remoteName: root + file.dropFirst(path.count)))
                case .unreadableDirectory(let directory, let error): ids.append(addFailed(directory, error))
                }
            }
        }
        return ids
    }

    /// Uploads earlier runs completed to this destination (from the journal), newest first.
    public func history(limit: Int = 1000) -> [JournalEntry] {
        (try? journal.completed(endpoint: configuration.journalKey, limit: limit)) ?? []
    }

    /// The jobs of an earlier run the journal shows unfinished for this endpoint, as paths.
    public func unfinishedPaths() -> [String] {
        ((try? journal.unfinished(endpoint: configuration.journalKey)) ?? []).map(\.file.path)
    }

    /// The name a file keeps at its destination: the path as given when it is relative and
    /// stays below the current directory (`photos/a.jpg`), else the file's name.
    public static func relativeName(_ given: String) -> String {
        let parts = given.split(separator: "/").filter { $0 != "." }
        guard !given.hasPrefix("/"), !parts.contains(".."), !parts.isEmpty else { return (given as NSString).lastPathComponent }
        return parts.joined(separator: "/")
    }

    private func addFile(_ path: String, remoteName: String? = nil) -> JobID {
        let local: LocalFile
        do {
            local = try inspect(path)
        } catch {
            return addFailed(path, error)
        }
        if let existing = inFlight[local.key] { return existing }
        let id = makeID()
        let file = local.identity
        do {
            let endpoint = configuration.journalKey
            var job = JobRunner.Job(
                id: id, file: file, mimeType: local.mimeType, row: 0, start: .fresh, orphan: nil, key: local.key, remoteName: remoteName)
            let entry = try journal.latest(endpoint: endpoint, file: file)
            switch entry?.state {
            case .none, .failed?, .cancelled?:
                job.row = try journal.insert(endpoint: endpoint, file: file)
            case .completed?:
                job.row = entry?.rowID ?? 0
                records[id] = Record(job: job, phase: .completed)
                emit(id, path: path, .queued(size: file.size))
                emit(id, path: path, .completed(remoteID: entry?.session?.id ?? "", md5: entry?.md5 ?? ""))
                return id
            case .some(let state):
                guard let entry else { break }
                job.row = entry.rowID
                job.start = Self.resumePoint(state: state, entry: entry)
                if state == .creating, let name = entry.requestedName, let since = entry.intentAt {
                    job.orphan = (name, since)
                }
            }
            enqueue(id, job)
        } catch {
            records[id] = Record(job: JobRunner.Job(id: id, file: file, mimeType: "", row: 0, start: .fresh), phase: .failed)
            emit(id, path: path, .failed(error))
        }
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

    static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return (full as NSString).standardizingPath
    }

    enum WalkEntry: Equatable {
        case file(String)
        case unreadableDirectory(String, EngineError)

        var path: String {
            switch self {
            case .file(let path), .unreadableDirectory(let path, _): return path
            }
        }
    }

    /// The regular files under `directory` and the directories that could not be listed,
    /// sorted by path. Hidden entries are skipped, and so are links: following them could
    /// loop, and a linked file is uploaded by naming it.
    static func walk(_ directory: String) -> [WalkEntry] {
        var found: [WalkEntry] = []
        var pending = [directory]
        while let current = pending.popLast() {
            if let error = listingError(current) {
                found.append(.unreadableDirectory(current, error))
                continue
            }
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: current)
            } catch {
                found.append(.unreadableDirectory(current, .unreadableDirectory(current, error.localizedDescription)))
                continue
            }
            for name in names where !name.hasPrefix(".") {
                let path = current + "/" + name
                var info = stat()
                guard lstat(path, &info) == 0 else { continue }
                switch info.st_mode & S_IFMT {
                case S_IFDIR: pending.append(path)
                case S_IFREG: found.append(.file(path))
                default: break
                }
            }
        }
        return found.sorted { $0.path < $1.path }
    }
}
