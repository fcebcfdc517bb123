#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The file a path leads to, whatever links or spellings lead there: device and inode.
///
/// Two paths with the same key are the same bytes on disk, so the engine queues them once.
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
