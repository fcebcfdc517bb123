import AsyncHTTPClient
import Crypto
import NIOCore
import SigV4
import Synchronization
import _NIOFileSystem

/// The PUT body: file chunks as they are read, rate-limited, hashed and handed to the client.
///
/// MD5 is computed from the very buffers sent, so the file is read once. Each write waits
/// for the future async-http-client returns, which is its backpressure: a slow connection
/// slows the reading instead of filling memory.
struct UploadBody: Sendable {
    /// The range's chunks: NIO's `readChunks` (read ahead) or `ChunksOnDemand`.
    let chunks: any AsyncSequence<ByteBuffer, any Error> & Sendable
    let expectedSize: Int64
    let path: String
    let limiter: RateLimiter?
    /// Told of the limiter's waits, which are not stalls.
    let stall: StallWatch

    /// Writes every chunk to `writer`, giving `digest` the MD5 (hex) of what was written
    /// before the last byte goes. Throws `fileChanged` when the file ends before its queued size.
    ///
    /// `done` is the body's end as the client sees it. It is completed by the event loop as
    /// soon as the last byte's write completes, not once this task runs again: a server
    /// that answers and closes the connection right after the last byte (moto does) would
    /// otherwise find the body still open while this task waits for a thread, and the
    /// client would report the stored upload as "the server closed the connection".
    func write(to writer: HTTPClient.Body.StreamWriter, done: BodyEnd, digest: (String) -> Void) async throws {
        var hasher = Insecure.MD5()
        var written: Int64 = 0
        for try await chunk in chunks {
            try Task.checkCancellation()
            if let limiter { try await stall.limiterWait { try await limiter.acquire(chunk.readableBytes) } }
            chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            written += Int64(chunk.readableBytes)
            guard written == expectedSize else {
                try await Self.awaitWrite(writer.write(.byteBuffer(chunk)))
                continue
            }
            // The last chunk: the digest is known before the server can answer, since the
            // answer may come (and this task be cancelled) before this task runs again.
            digest(Hex.encode(hasher.finalize()))
            let write = writer.write(.byteBuffer(chunk))
            write.whenSuccess { done.succeed() }
            try await Self.awaitWrite(write)
            return
        }
        guard written == expectedSize else { throw EngineError.fileChanged(path) }
        digest(Hex.encode(hasher.finalize()))
    }

    /// The end of a streamed body, completed once: by the last write, or by the producer
    /// (an empty body, a failure).
    final class BodyEnd: Sendable {
        private let promise: EventLoopPromise<Void>
        private let completed = Mutex(false)

        init(_ promise: EventLoopPromise<Void>) { self.promise = promise }

        var future: EventLoopFuture<Void> { promise.futureResult }

        func succeed() { if claim() { promise.succeed() } }
        func fail(_ error: any Error) { if claim() { promise.fail(error) } }

        private func claim() -> Bool {
            completed.withLock { done in
                defer { done = true }
                return !done
            }
        }
    }

    /// Waits for a body write, or for this task's cancellation, whichever comes first.
    ///
    /// A write the client has taken may never complete once its request is cancelled (the
    /// connection is gone, nobody drains the stream), and `EventLoopFuture.get()` does not
    /// listen to cancellation: the uploader, which awaits this task before it closes the
    /// file, would wait for ever. Seen with parts in flight when an engine stopped.
    static func awaitWrite(_ future: EventLoopFuture<Void>) async throws {
        let waiting = Mutex<CheckedContinuation<Void, any Error>?>(nil)
        @Sendable func finish(_ result: Result<Void, any Error>) {
            waiting.withLock { $0.take() }?.resume(with: result)
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                waiting.withLock { $0 = continuation }
                future.whenComplete { finish($0) }
                if Task.isCancelled { finish(.failure(CancellationError())) }
            }
        } onCancel: {
            finish(.failure(CancellationError()))
        }
    }
}
