import Foundation
import HoistEngine

/// Reads a directory for the browser, checking each file as an upload would (no network):
/// the browser marks what cannot be uploaded before the user tries.
public enum DirectoryReader {
    /// The entries of `directory`, in the browser's order; `preflight` says why each file
    /// cannot be uploaded (given them a slice at a time, so it can standardize their shared
    /// directory once per slice: the paths of 100,000 files at once were up to 10 MiB, most
    /// of it left in the heap after).
    public static func list(_ directory: String, preflight: ([String]) -> [EngineError?]) throws -> [DirectoryEntry] {
        // opendir's errno says why in the system's words ("Permission denied").
        guard let handle = opendir(directory) else { throw Failure(reason: String(cString: strerror(errno))) }
        // Names as bytes first: one that is not UTF-8 has no String that names it (Swift
        // repairs it into another name), so it is listed with its true problem.
        var names: [String] = []
        var unnamable = Set<String>()
        while let entry = readdir(handle) {
            let (name, valid) = ListingName.of(entry)
            if name == "." || name == ".." { continue }
            names.append(name)
            if !valid { unnamable.insert(name) }
        }
        closedir(handle)
        var entries = names.map { name in
            let path = directory == "/" ? "/" + name : directory + "/" + name
            var info = stat()
            var linkInfo = stat()
            let isLink = lstat(path, &linkInfo) == 0 && (linkInfo.st_mode & S_IFMT) == S_IFLNK
            // A link to a directory browses like a directory.
            let resolved = stat(path, &info) == 0
            let isDirectory = resolved && (info.st_mode & S_IFMT) == S_IFDIR
            #if canImport(Darwin)
            let mtime = Int64(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(info.st_mtimespec.tv_nsec)
            #else
            let mtime = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
            #endif
            return DirectoryEntry(name: name, directory: directory, isDirectory: isDirectory,
                                  size: resolved ? Int64(info.st_size) : 0, isSymlink: isLink,
                                  mtimeNanos: resolved ? mtime : nil, problem: unnamable.contains(name) ? .unnamable(path) : nil)
        }
        let files = entries.indices.filter { !entries[$0].isDirectory && entries[$0].problem == nil }
        for start in stride(from: 0, to: files.count, by: 4096) {
            let slice = files[start..<min(files.count, start + 4096)]
            for (index, problem) in zip(slice, preflight(slice.map { entries[$0].path })) where problem != nil {
                entries[index].problem = problem
            }
        }
        BrowserState.sort(&entries)
        return entries
    }

    /// Why a directory could not be listed.
    public struct Failure: Error, Sendable {
        public var reason: String
    }

    /// The reason in a listing error, for the status line.
    static func reason(_ error: any Error) -> String {
        (error as? Failure)?.reason ?? (error as NSError).localizedDescription
    }
}
