import CHoistIO
import Foundation
import HoistTestSupport
import Testing

/// What the tests of the server's direct writes (`BlobWriter.Direct`) share.
enum DirectIOFixtures {
    /// `count` bytes that differ at every 4-byte word (each word from its index), so that
    /// a chunk written twice, left out or out of place shows.
    static func varied(_ count: Int) -> Data {
        let words = (0..<(count + 3) / 4).map { UInt32(truncatingIfNeeded: $0 &* 2_654_435_761).littleEndian }
        return words.withUnsafeBytes { Data($0.prefix(count)) }
    }

    /// A new, empty directory on a disk whose file system says what direct I/O needs
    /// (statx `STATX_DIOALIGN`, Linux 6.1: ext4, XFS), where the server writes large bodies
    /// past the page cache; the test is not run where there is none. The caller removes it.
    static func directory(prefix: String) throws -> String {
        let dir = try #require(TempDirectory.makeOnDisk(prefix: prefix), "a writable directory on a disk, not tmpfs")
        // Asked of a file: a directory takes no direct I/O, and says so.
        let probe = dir + "/.probe"
        let fd = open(probe, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        defer { if fd >= 0 { close(fd) }; unlink(probe) }
        var memory: UInt32 = 0
        var offset: UInt32 = 0
        let reported = fd >= 0 && hoist_direct_alignment(fd, &memory, &offset) == 0 && offset > 0
        if !reported { try? FileManager.default.removeItem(atPath: dir) }
        try #require(reported, "the file system under \(dir) reports its direct I/O alignment")
        return dir
    }
}
