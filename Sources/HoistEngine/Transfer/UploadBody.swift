import AsyncHTTPClient
import Crypto
import NIOCore
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
            try await writer.write(.byteBuffer(chunk)).get()
        }
        guard written == expectedSize else { throw EngineError.fileChanged(path) }
        return Hex.encode(hasher.finalize())
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
