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
    let chunks: FileChunks
    let expectedSize: Int64
    let path: String
    let limiter: RateLimiter?

    /// Writes every chunk to `writer` and returns the MD5 (hex) of what was written.
    /// Throws `fileChanged` when the file ends before its queued size.
    func write(to writer: HTTPClient.Body.StreamWriter) async throws -> String {
        var hasher = Insecure.MD5()
        var written: Int64 = 0
        for try await chunk in chunks {
            try Task.checkCancellation()
            if let limiter { try await limiter.acquire(chunk.readableBytes) }
            chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            written += Int64(chunk.readableBytes)
            try await Self.awaitWrite(writer.write(.byteBuffer(chunk)))
        }
        guard written == expectedSize else { throw EngineError.fileChanged(path) }
        return Hex.encode(hasher.finalize())
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
