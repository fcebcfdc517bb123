import Foundation
import NIOConcurrencyHelpers
import NIOPosix

/// One chunk of a body written with `O_DIRECT` on a thread of its own, while the request
/// that sent it fills the next chunk (`BlobWriter`): the request's thread hashes and
/// copies while the disk reads the chunk before, instead of waiting for it.
final class DirectWrite: @unchecked Sendable {
    // `failure` is set once, before `done` turns true, and read only after it has.
    private let done = ConditionLock(value: false)
    private var failure: POSIXError?

    /// Threads that carry the writes: each waits on the disk, not the CPU, and a request has
    /// at most one write out at a time.
    private static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 8)
        pool.start()
        return pool
    }()

    private init() {}

    /// Starts writing `length` bytes from `buffer` at `offset` of `fd`. The caller keeps
    /// the descriptor open and the buffer allocated and unchanged until `wait` returns.
    static func start(fd: Int32, buffer: UnsafeRawPointer, length: Int, offset: Int64) -> DirectWrite {
        let write = DirectWrite()
        let address = UInt(bitPattern: buffer)
        pool.submit { state in
            guard state == .active, let buffer = UnsafeRawPointer(bitPattern: address) else {
                write.finish(POSIXError(.ECANCELED))
                return
            }
            do {
                try writeAll(fd, buffer, length, at: offset)
                write.finish(nil)
            } catch {
                write.finish(error as? POSIXError ?? POSIXError(.EIO))
            }
        }
        return write
    }

    /// Waits until the write is done; throws what it failed with.
    func wait() throws {
        done.lock(whenValue: true)
        let failure = self.failure
        done.unlock()
        if let failure { throw failure }
    }

    private func finish(_ failure: POSIXError?) {
        done.lock()
        self.failure = failure
        done.unlock(withValue: true)
    }

    /// `pwrite` of all `length` bytes from `start` at `offset`, on short writes and EINTR.
    static func writeAll(_ fd: Int32, _ start: UnsafeRawPointer, _ length: Int, at offset: Int64) throws {
        var done = 0
        while done < length {
            let n = pwrite(fd, start + done, length - done, off_t(offset + Int64(done)))
            if n < 0 {
                if errno == EINTR { continue }
                throw POSIXError.current()
            }
            done += n
        }
    }
}
