import CHoistTestIO
import Foundation

/// What the kernel's page cache holds of part of a file (Linux 6.5's `cachestat`), for
/// tests that check when the server's bytes go to disk.
public enum PageCache {
    /// Pages of the range that are dirty, and pages being written back.
    public struct State: Equatable, Sendable {
        /// Pages of the range the cache holds at all.
        public var cached: UInt64
        public var dirty: UInt64
        public var writeback: UInt64
        /// Nothing of the range waits for the disk.
        public var isOnDisk: Bool { dirty == 0 && writeback == 0 }
    }

    /// The state of `length` bytes from `offset` of the file at `path`; nil when the file
    /// cannot be opened or the kernel has no `cachestat` (before Linux 6.5).
    public static func state(of path: String, offset: Int64, length: Int64) -> State? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var cached: UInt64 = 0
        var dirty: UInt64 = 0
        var writeback: UInt64 = 0
        guard hoist_test_cache_state(fd, UInt64(offset), UInt64(length), &cached, &dirty, &writeback) == 0 else { return nil }
        return State(cached: cached, dirty: dirty, writeback: writeback)
    }
}
