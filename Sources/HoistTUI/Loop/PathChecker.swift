import Foundation
import HoistEngine

/// Checks a path before it is queued (the ``Effect/preflight(_:)`` effect): what it is,
/// which file it leads to, and why it cannot be uploaded. Local only, no network.
enum PathChecker {
    static func check(_ paths: [String], preflight: ([String]) -> [EngineError?]) -> [PathCheck] {
        zip(paths, preflight(paths)).map { path, problem in
            let (key, isDirectory) = fileKey(path)
            return PathCheck(path: path, fileKey: key, isDirectory: isDirectory, problem: problem)
        }
    }

    /// The files `paths` lead to (``PathCheck/fileKey``).
    static func fileKeys(_ paths: [String]) -> Set<String> {
        Set(paths.lazy.map { fileKey($0).key })
    }

    /// The file `path` leads to: its device and inode, or for a directory or a path that
    /// is not there, the path with its links resolved.
    private static func fileKey(_ path: String) -> (key: String, isDirectory: Bool) {
        var info = stat()
        let found = stat(path, &info) == 0
        let isDirectory = found && (info.st_mode & S_IFMT) == S_IFDIR
        return (found && !isDirectory ? "\(info.st_dev):\(info.st_ino)" : resolved(path), isDirectory)
    }

    /// `path` with every link resolved, or as given when it cannot be.
    private static func resolved(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
