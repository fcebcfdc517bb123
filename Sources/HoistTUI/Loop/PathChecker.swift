import Foundation
import HoistEngine

/// Checks a path before it is queued (the ``Effect/preflight(_:)`` effect): what it is,
/// which file it leads to, and why it cannot be uploaded. Local only, no network.
enum PathChecker {
    static func check(_ paths: [String], preflight: ([String]) -> [EngineError?]) -> [PathCheck] {
        zip(paths, preflight(paths)).map { path, problem in
            let (key, isDirectory, size) = fileKey(path)
            return PathCheck(path: path, fileKey: key, isDirectory: isDirectory, problem: problem, size: size)
        }
    }

    /// The files `paths` lead to (``PathCheck/fileKey``).
    static func fileKeys(_ paths: [String]) -> FileKeySet {
        FileKeySet(paths.lazy.map { fileKey($0).key })
    }

    /// The file `path` leads to: its device and inode; or for a directory, a path that is
    /// not there, or a file with hard links, the path with its links resolved; and the
    /// file's size. As the engine's jobs are: every path to a file through symlinks is one
    /// upload, and each hard link is an upload of its own (a `cp -al` snapshot's files are
    /// all uploaded). A file of one link has one path, so its inode says which; only the
    /// rare hard-linked file pays for its path.
    private static func fileKey(_ path: String) -> (key: CheckedFile, isDirectory: Bool, size: Int64) {
        var info = stat()
        let found = stat(path, &info) == 0
        let isDirectory = found && (info.st_mode & S_IFMT) == S_IFDIR
        let isFile = found && !isDirectory
        let key: CheckedFile = isFile && info.st_nlink <= 1
            ? .inode(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)) : .path(resolved(path))
        return (key, isDirectory, isFile ? Int64(info.st_size) : 0)
    }

    /// `path` with every link resolved, or as given when it cannot be.
    private static func resolved(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
