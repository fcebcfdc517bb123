import Crypto
import NIOCore
import _NIOFileSystem

/// The PUT body: file chunks as they are read, hashed and counted on the way through.
///
/// MD5 and progress are computed from the very buffers sent, so the file is read once.
/// The iterator owns the hasher; the outcome is handed over once, at the end.
struct UploadBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let chunks: FileChunks
    let expectedSize: Int64
    let path: String
    let limiter: RateLimiter?
    let clock: any EngineClock
    let progressInterval: Duration
    let onProgress: @Sendable (Int64) -> Void
    let onFinish: @Sendable (String) -> Void

    func makeAsyncIterator() -> Iterator {
        Iterator(body: self, base: chunks.makeAsyncIterator(), throttle: ProgressThrottle(interval: progressInterval))
    }

    struct Iterator: AsyncIteratorProtocol {
        let body: UploadBody
        var base: FileChunks.AsyncIterator
        var throttle: ProgressThrottle
        var hasher = Insecure.MD5()
        var sent: Int64 = 0

        mutating func next() async throws -> ByteBuffer? {
            guard let chunk = try await base.next() else {
                guard sent == body.expectedSize else { throw EngineError.fileChanged(body.path) }
                if let last = throttle.flush() { body.onProgress(last) }
                body.onFinish(Hex.encode(hasher.finalize()))
                return nil
            }
            if let limiter = body.limiter { try await limiter.acquire(chunk.readableBytes) }
            chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            sent += Int64(chunk.readableBytes)
            if let due = throttle.update(sent, now: body.clock.now()) { body.onProgress(due) }
            return chunk
        }
    }
}

/// Lower-case hex without Foundation's formatter (called once per file, kept cheap anyway).
enum Hex {
    static func encode<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
