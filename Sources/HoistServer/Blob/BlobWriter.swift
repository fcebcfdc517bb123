import SigV4
import Crypto
import Foundation
import NIOCore

/// Streams one request body into a temporary file, counting bytes and computing the MD5
/// in the same pass.
final class BlobWriter: @unchecked Sendable {
    // Used by one request task at a time; @unchecked only so `commit` can hand it to a
    // thread-pool thread while that task awaits.
    let path: String
    private let fd: Int32
    private var md5 = Insecure.MD5()
    private(set) var count: Int64 = 0
    private var closed = false

    init(path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXError.current() }
    }

    /// Appends `buffer`.
    func write(_ buffer: ByteBuffer) throws {
        try buffer.withUnsafeReadableBytes { bytes in
            md5.update(bufferPointer: bytes)
            guard let base = bytes.baseAddress else { return }
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(fd, base + offset, bytes.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw POSIXError.current()
                }
                offset += n
            }
        }
        count += Int64(buffer.readableBytes)
    }

    /// The hex MD5 of everything written.
    func hexDigest() -> String {
        Hex.encode(md5.finalize())
    }

    func sync() throws {
        guard fsync(fd) == 0 else { throw POSIXError.current() }
        closeFile()
    }

    /// Drops the temporary file.
    func abort() {
        closeFile()
        unlink(path)
    }

    private func closeFile() {
        if !closed { close(fd); closed = true }
    }

    deinit { closeFile() }
}
