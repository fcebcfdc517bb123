import Foundation
import HoistEngine

/// Checks a path before it is queued (the ``Effect/preflight(_:)`` effect): what it is,
/// where its links lead, and why it cannot be uploaded. Local only, no network.
enum PathChecker {
    static func check(_ path: String, preflight: (String) -> EngineError?) -> PathCheck {
        var info = stat()
        let isDirectory = stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
        var realPath = path
        if let resolved = realpath(path, nil) {
            realPath = String(cString: resolved)
            free(resolved)
        }
        return PathCheck(path: path, realPath: realPath, isDirectory: isDirectory, problem: preflight(path))
    }
}
