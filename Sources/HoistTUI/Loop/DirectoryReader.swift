import Foundation

/// Reads a directory for the browser. Unreadable entries are skipped, not fatal.
public enum DirectoryReader {
    public static func list(_ directory: String) throws -> [DirectoryEntry] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        return names.map { name in
            let path = directory == "/" ? "/" + name : directory + "/" + name
            var info = stat()
            var linkInfo = stat()
            let isLink = lstat(path, &linkInfo) == 0 && (linkInfo.st_mode & S_IFMT) == S_IFLNK
            // A link to a directory browses like a directory.
            let resolved = stat(path, &info) == 0
            let isDirectory = resolved && (info.st_mode & S_IFMT) == S_IFDIR
            return DirectoryEntry(name: name, path: path, isDirectory: isDirectory,
                                  size: resolved ? Int64(info.st_size) : 0, isSymlink: isLink)
        }
    }
}
