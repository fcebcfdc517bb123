#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The file a path leads to, whatever links or spellings lead there: device and inode.
///
/// Two paths with the same key are the same bytes on disk.
struct FileKey: Sendable, Hashable {
    var device: UInt64
    var inode: UInt64

    /// The key of the file open at `descriptor`.
    static func of(descriptor: Int32) -> FileKey? {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        return FileKey(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }
}

/// What makes two paths one job: the same file at the same path once symlinks are resolved
/// (the hash of the path, not the path: a queue of 100,000 files keeps no more strings).
/// `a.txt` and `./a.txt`, a symlink given beside its target, or a file given and met again
/// in its directory are one upload, under the first name given; hard links are paths of
/// their own (a `cp -al` or `rsync --link-dest` snapshot), so each is a job, with a journal
/// row of its own, and goes to its own object.
struct JobKey: Sendable, Hashable {
    var file: FileKey
    var path: Int

    init(_ file: FileKey, path: String) {
        self.file = file
        self.path = path.hashValue
    }
}
