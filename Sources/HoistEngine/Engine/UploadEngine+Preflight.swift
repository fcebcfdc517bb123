import Foundation

extension UploadEngine {
    /// A local file that passed every check `add` makes before the network.
    struct LocalFile: Sendable {
        var identity: FileIdentity
        var mimeType: String
        var key: FileKey
        /// The inode's change stamp when the file was checked: a rewrite whose mtime is put
        /// back (`touch -r`) before the file's turn still shows there.
        var stamp: FileIdentity.ChangeStamp

        /// What makes a job of this file one (``JobKey``).
        var jobKey: JobKey { JobKey(key, path: identity.path) }
    }

    /// Why `path` cannot be uploaded to this destination, checked locally with no network
    /// call and no session: missing, not a regular file, unreadable (it is opened, as the
    /// upload would), empty, too large or of a type the purpose or dialect refuses. For a
    /// directory: whether it can be listed (`unreadableDirectory` when not). `nil` when
    /// `add(paths: [path])` would queue it; `add` makes exactly these checks, so a path
    /// preflight refuses never gets a server session.
    public nonisolated func preflight(_ path: String) -> EngineError? {
        preflight([path])[0]
    }

    /// ``preflight(_:)`` of each path, in order; siblings share the work of standardizing
    /// their directory (as `add` does), so checking a directory's 100,000 files stays quick.
    public nonisolated func preflight(_ paths: [String]) -> [EngineError?] {
        Self.preflight(paths) { (path) throws(EngineError) in try inspect(path) }
    }

    /// ``preflight(_:)`` without an engine: what a client of the background engine checks
    /// before it sends paths, with the same rules the engine applies.
    public static func preflight(_ paths: [String], profile: Profile, rules: UploadRules = .standard) -> [EngineError?] {
        let dialect = profile.dialect.implementation(for: profile)
        return preflight(paths) { (path) throws(EngineError) in try inspect(path, dialect: dialect, rules: rules) }
    }

    private static func preflight(_ paths: [String], inspect: (String) throws(EngineError) -> LocalFile) -> [EngineError?] {
        var standardizer = PathStandardizer()
        return paths.map { path -> EngineError? in
            let full = standardizer.absolute(path)
            if isDirectory(full) { return listingError(full) }
            do throws(EngineError) {
                _ = try inspect(full)
                return nil
            } catch {
                return error
            }
        }
    }

    /// Runs every local check on the file at the absolute path `path`.
    nonisolated func inspect(_ path: String) throws(EngineError) -> LocalFile {
        try Self.inspect(path, dialect: api.dialect, rules: configuration.rules)
    }

    static func inspect(_ path: String, dialect: any UploadDialect, rules: UploadRules) throws(EngineError) -> LocalFile {
        let (identity, stamp) = try FileIdentity.observe(path)
        // Opened, not judged by its mode bits: only the open says whether this process may
        // read it (root, ACLs, write-only kernel files). Non-blocking, so a file swapped for
        // a FIFO since the stat cannot hang the engine.
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw .unreadable(path, String(cString: strerror(errno))) }
        defer { close(descriptor) }
        guard let key = FileKey.of(descriptor: descriptor) else { throw .unreadable(path, String(cString: strerror(errno))) }
        let mime = try rules.validate(name: identity.name, size: identity.size, dialect: dialect)
        return LocalFile(identity: identity, mimeType: mime, key: key, stamp: stamp)
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Why the directory at `path` cannot be listed, or nil when it can.
    static func listingError(_ path: String) -> EngineError? {
        guard let directory = opendir(path) else { return .unreadableDirectory(path, String(cString: strerror(errno))) }
        closedir(directory)
        return nil
    }
}
