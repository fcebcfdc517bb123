import Crypto
import NIOCore
import NIOPosix
import SigV4
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A PUT body of at most one chunk, read whole before the request starts.
///
/// Streaming a small file through `FileSystem` costs a thread hop for each of open, read,
/// end of file and close, and a producer task beside the request. Read in one job instead,
/// 2,000 files of 4 KiB on loopback (`hoist upload --jobs 16`, three runs each way,
/// alternated) took 12-23 % less client CPU per file and went 10-12 % faster. One chunk is
/// what the stream would hold anyway, so memory stays bounded by the chunk size. The read
/// runs on NIO's blocking-I/O pool, never on the engine's threads (a slow disk or a hung
/// mount must not stall every job), and the MD5 comes from that same read.
struct WholeBody: Sendable {
    /// The bytes of the range, exactly.
    var bytes: ByteBuffer
    /// Hex MD5 of `bytes`.
    var md5: String

    /// Reads `range` of the file at `path`. A file that ends before the range does is
    /// `fileChanged` (it shrank since it was queued); one that is gone is `fileVanished`.
    static func read(_ path: String, range: Range<Int64>) async throws -> WholeBody {
        try await NIOThreadPool.singleton.runIfActive { try readNow(path, range: range) }
    }

    private static func readNow(_ path: String, range: Range<Int64>) throws(EngineError) -> WholeBody {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { throw .fileVanished(path) }
            throw .unreadable(path, String(cString: strerror(errno)))
        }
        defer { close(fd) }
        let length = Int(range.upperBound - range.lowerBound)
        var buffer = ByteBufferAllocator().buffer(capacity: length)
        var failure: Int32 = 0
        var reachedEnd = false
        while buffer.readableBytes < length, failure == 0, !reachedEnd {
            let offset = range.lowerBound + Int64(buffer.readableBytes)
            let wanted = length - buffer.readableBytes
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { space in
                let n = pread(fd, space.baseAddress, wanted, off_t(offset))
                if n < 0 {
                    if errno != EINTR { failure = errno }
                    return 0
                }
                if n == 0 { reachedEnd = true }
                return n
            }
        }
        if failure != 0 { throw .unreadable(path, String(cString: strerror(failure))) }
        guard buffer.readableBytes == length else { throw .fileChanged(path) }
        let digest = buffer.withUnsafeReadableBytes { Insecure.MD5.hash(data: $0) }
        return WholeBody(bytes: buffer, md5: Hex.encode(digest))
    }
}
