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

/// What makes two paths one job: the same file going to the same name (the hash of its
/// remote name, not the name: a queue of 100,000 files keeps no more strings). `a.txt` and
/// `./a.txt`, or a symlink beside its target that takes the same name, are one upload;
/// hard links with names of their own (a `cp -al` or `rsync --link-dest` snapshot) each go
/// to an object of their own, so each is a job.
struct JobKey: Sendable, Hashable {
    var file: FileKey
    var name: Int

    init(_ file: FileKey, name: String) {
        self.file = file
        self.name = name.hashValue
    }
}
