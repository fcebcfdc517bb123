import Foundation

extension UploadEngine {
    /// Queues files; a directory adds the regular files under it (hidden ones skipped),
    /// sorted by path. A path that cannot be uploaded gets a job that fails at once, so
    /// every path given yields exactly one final event.
    ///
    /// A file the journal knows (same endpoint, path, size, mtime) resumes where the last
    /// run stopped; one it knows as completed is reported completed without uploading again.
    @discardableResult
    public func add(paths: [String]) -> [JobID] {
        var ids: [JobID] = []
        for path in paths.map(Self.absolute) {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                ids += Self.files(under: path).map(addFile)
            } else {
                ids.append(addFile(path))
            }
        }
        return ids
    }

    /// Uploads earlier runs completed to this destination (from the journal), newest first.
    public func history(limit: Int = 1000) -> [JournalEntry] {
        (try? journal.completed(endpoint: configuration.journalKey, limit: limit)) ?? []
    }

    /// Why `path` cannot be uploaded to this destination, checked locally with no network
    /// call and no session: missing, not a regular file, unreadable, empty, too large or of
    /// a type the purpose or dialect refuses. `nil` when it may be queued.
    public nonisolated func preflight(_ path: String) -> EngineError? {
        let full = Self.absolute(path)
        do {
            let file = try FileIdentity.of(full)
            let descriptor = open(full, O_RDONLY)
            guard descriptor >= 0 else { return .unreadable(full, String(cString: strerror(errno))) }
            close(descriptor)
            _ = try configuration.rules.validate(name: file.name, size: file.size, profile: configuration.profile)
            return nil
        } catch {
            return error
        }
    }

    /// The jobs of an earlier run the journal shows unfinished for this endpoint, as paths.
    public func unfinishedPaths() -> [String] {
        ((try? journal.unfinished(endpoint: configuration.journalKey)) ?? []).map(\.file.path)
    }

    private func addFile(_ path: String) -> JobID {
        let id = makeID()
        if let existing = records.first(where: { $0.value.job.file.path == path && ($0.value.phase == .queued || $0.value.phase == .running) }) {
            // Already in flight here: a second job would fight the first over its session.
            emit(id, path: path, .failed(.config("\(path) is already queued as job \(existing.key)")))
            return id
        }
        do {
            let file = try FileIdentity.of(path)
            let mime = try configuration.rules.validate(name: file.name, size: file.size, profile: configuration.profile)
            let endpoint = configuration.journalKey
            var job = JobRunner.Job(id: id, file: file, mimeType: mime, row: 0, start: .fresh, orphan: nil)
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
            records[id] = Record(
                job: JobRunner.Job(id: id, file: FileIdentity(path: path, size: 0, mtimeNanos: 0), mimeType: "", row: 0, start: .fresh),
                phase: .failed)
            emit(id, path: path, .failed(error))
        }
        return id
    }

    private static func resumePoint(state: JournalEntry.State, entry: JournalEntry) -> JobStateMachine.Start {
        guard let session = entry.session else { return .fresh }
        if state == .completing, let md5 = entry.md5 { return .uploaded(session, md5: md5) }
        return .staleSession(session)
    }

    static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return (full as NSString).standardizingPath
    }

    static func files(under directory: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var found: [String] = []
        while let relative = walker.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") {
                if (walker.fileAttributes?[.type] as? FileAttributeType) == .typeDirectory { walker.skipDescendants() }
                continue
            }
            if (walker.fileAttributes?[.type] as? FileAttributeType) == .typeRegular { found.append(directory + "/" + relative) }
        }
        return found.sorted()
    }
}
