import Foundation
import Hummingbird
import NIOCore
import NIOPosix

/// A blob file opened for one response, before its head is sent.
///
/// A PUT that replaces the object, or the sweep, unlinks the blob's name once its own
/// commit is done; a download that read the object just before must not then send a 200
/// head and no body (the file looked up again by name while the body streams). Opened
/// first, the bytes stay readable through the descriptor until it closes, whatever happens
/// to the name; one already gone is known before anything is answered. The descriptor
/// closes when the response is done with it, or is dropped unread (a HEAD).
final class OpenBlob: Sendable {
    private let descriptor: Int32

    /// Opens `path`; nil when no file has that name (deleted since its object was read).
    init?(path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { return nil }
            throw BlobStoreError("cannot open \(path): \(String(cString: strerror(code)))")
        }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// `length` bytes from `start`, read a chunk at a time off the event loops.
    func body(from start: Int64 = 0, length size: Int64, chunk: Int = 128 * 1024) -> ResponseBody {
        ResponseBody(contentLength: Int(size)) { [self] writer in
            var offset: Int64 = 0
            while offset < size {
                let (length, at) = (Int(min(Int64(chunk), size - offset)), start + offset)
                let buffer = try await NIOThreadPool.singleton.runIfActive { try self.read(length, at: at) }
                offset += Int64(buffer.readableBytes)
                try await writer.write(buffer)
            }
            try await writer.finish(nil)
        }
    }

    /// `length` bytes at `offset`; a file that ends sooner than its record says is broken.
    private func read(_ length: Int, at offset: Int64) throws -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: length)
        var count = 0
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { raw in
            count = pread(descriptor, raw.baseAddress, length, off_t(offset))
            return max(count, 0)
        }
        guard count > 0 else {
            throw BlobStoreError(count < 0 ? "cannot read a blob: \(String(cString: strerror(errno)))" : "a blob is shorter than its record")
        }
        return buffer
    }
}
