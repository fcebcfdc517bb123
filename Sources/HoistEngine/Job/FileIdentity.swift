#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What makes "the same file" for the journal and for change detection: path, size, mtime.
public struct FileIdentity: Sendable, Equatable, Hashable, Codable {
    /// Absolute, standardised path.
    public var path: String
    public var size: Int64
    /// Modification time in nanoseconds since the epoch.
    public var mtimeNanos: Int64

    public init(path: String, size: Int64, mtimeNanos: Int64) {
        self.path = path
        self.size = size
        self.mtimeNanos = mtimeNanos
    }

    /// Reads the identity of the regular file at `path` (symlinks followed).
    public static func of(_ path: String) throws(EngineError) -> FileIdentity {
        try observe(path).identity
    }

    /// What changes with every write to a file even when its mtime is put back (`touch -r`,
    /// `cp -p`, `rsync -t`): the inode's change time, and the inode itself (a file renamed
    /// over this one). Not part of the identity: the journal knows a file by path, size
    /// and mtime across runs, while this tells whether a file changed during one read, or
    /// since a multipart upload's parts were read.
    public struct ChangeStamp: Sendable, Equatable {
        var ctimeNanos: Int64
        var inode: UInt64
        var device: UInt64

        /// The stamp as the journal keeps it.
        public var journalText: String { "\(ctimeNanos):\(inode):\(device)" }
    }

    /// The identity and the change stamp of the regular file at `path`, from one `stat`.
    public static func observe(_ path: String) throws(EngineError) -> (identity: FileIdentity, stamp: ChangeStamp) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { throw .fileNotFound(path) }
            throw .unreadable(path, String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .notAFile(path) }
        #if canImport(Darwin)
        let mtime = Int64(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(info.st_mtimespec.tv_nsec)
        let ctime = Int64(info.st_ctimespec.tv_sec) * 1_000_000_000 + Int64(info.st_ctimespec.tv_nsec)
        #else
        let mtime = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        let ctime = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
        #endif
        return (FileIdentity(path: path, size: Int64(info.st_size), mtimeNanos: mtime),
                ChangeStamp(ctimeNanos: ctime, inode: UInt64(info.st_ino), device: UInt64(info.st_dev)))
    }

    /// The last path component.
    public var name: String { path.split(separator: "/").last.map(String.init) ?? path }
}
