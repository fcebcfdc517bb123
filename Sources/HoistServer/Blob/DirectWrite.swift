import Foundation
import CHoistIO
import NIOConcurrencyHelpers
import NIOPosix
import Synchronization

/// One chunk of a body written with `O_DIRECT` on a thread of its own, while the request
/// that sent it fills the next chunk (`BlobWriter`): the request's task hashes and copies
/// while the disk reads the chunk before.
final class DirectWrite: Sendable {
    private enum State {
        case running(waiter: CheckedContinuation<Void, any Error>?)
        case done(POSIXError?)
    }

    private let state = Mutex(State.running(waiter: nil))
    /// True once done: what a blocking `wait` waits for.
    private let finished = ConditionLock(value: false)

    /// Threads that carry the writes: each waits on the disk, not the CPU, and a body has
    /// at most one write out at a time.
    private static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 8)
        pool.start()
        return pool
    }()

    private init() {}

    /// Starts writing `length` bytes from `buffer` at `offset` of `fd`, which has
    /// `O_DIRECT` on. The caller keeps the descriptor open and the buffer mapped and
    /// unchanged until a wait has returned.
    static func start(fd: Int32, buffer: UnsafeRawPointer, length: Int, offset: Int64) -> DirectWrite {
        let write = DirectWrite()
        let address = UInt(bitPattern: buffer)
        pool.submit { state in
            guard state == .active, let buffer = UnsafeRawPointer(bitPattern: address) else {
                write.finish(POSIXError(.ECANCELED))
                return
            }
            do {
                let done = try writeAll(fd, buffer, length, at: offset, stopShort: true)
                if done < length {
                    // A short direct write leaves the rest at an offset O_DIRECT may refuse
                    // (EINVAL): the rest, and what follows, goes through the cache.
                    guard hoist_set_direct(fd, 0) == 0 else { throw POSIXError.current() }
                    _ = try writeAll(fd, buffer + done, length - done, at: offset + Int64(done))
                }
                write.finish(nil)
            } catch {
                write.finish(error as? POSIXError ?? POSIXError(.EIO))
            }
        }
        return write
    }

    /// Waits, suspending the task, until the write is done; throws what it failed with.
    func wait() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let failure: POSIXError?? = state.withLock { state in
                switch state {
                case .running:
                    state = .running(waiter: continuation)
                    return nil
                case .done(let failure):
                    return .some(failure)
                }
            }
            guard let failure else { return }
            if let failure { continuation.resume(throwing: failure) } else { continuation.resume() }
        }
    }

    /// Waits, blocking the thread, until the write is done (where no task can suspend:
    /// an abort, the sync on the store's pool); throws what it failed with.
    func waitBlocking() throws {
        finished.lock(whenValue: true)
        finished.unlock()
        if case .done(let failure?) = state.withLock({ $0 }) { throw failure }
    }

    private func finish(_ failure: POSIXError?) {
        let waiter: CheckedContinuation<Void, any Error>? = state.withLock { state in
            guard case .running(let waiter) = state else { return nil }
            state = .done(failure)
            return waiter
        }
        finished.lock()
        finished.unlock(withValue: true)
        if let failure { waiter?.resume(throwing: failure) } else { waiter?.resume() }
    }

    /// `pwrite` of `length` bytes from `start` at `offset`, again after EINTR and short
    /// writes, or (`stopShort`) up to the first short write. Returns the bytes written.
    /// Every write of a `BlobWriter`'s file goes through here, direct or not.
    @discardableResult
    static func writeAll(_ fd: Int32, _ start: UnsafeRawPointer, _ length: Int, at offset: Int64,
                         stopShort: Bool = false) throws -> Int {
        var done = 0
        while done < length {
            let n = pwrite(fd, start + done, length - done, off_t(offset + Int64(done)))
            if n < 0 {
                if errno == EINTR { continue }
                throw POSIXError.current()
            }
            done += n
            if stopShort && n > 0 && done < length { return done }
            if n == 0 { throw POSIXError(.EIO) }
        }
        return done
    }
}
