import SigV4
import Crypto
import Foundation
import NIOCore
import _NIOFileSystem

/// The MD5 of a byte range of a file, read in chunks (constant memory). `Content-MD5` must
/// be known before the body is sent, so a dialect that wants it reads the range twice; the
/// second read comes from the page cache.
enum FileDigest {
    struct MD5: Sendable, Equatable {
        var bytes: [UInt8]
        var hex: String { Hex.encode(bytes) }
        var base64: String { Data(bytes).base64EncodedString() }
    }

    /// The MD5 of `range` of the file at `path`. `onRead` hears how many of the range's
    /// bytes have been read and hashed, after each chunk. `readAhead` as in
    /// ``FileUploader/put(_:range:to:readAhead:onProgress:)``: off for the parts a multipart
    /// upload sends, several at once (a resume's check reads one part at a time, with it).
    static func md5(of path: String, range: Range<Int64>, chunkSize: Int, readAhead: Bool = true,
                    onRead: (@Sendable (Int64) -> Void)? = nil) async throws(EngineError) -> MD5 {
        do {
            return try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
                var hasher = Insecure.MD5()
                var read: Int64 = 0
                let chunks = ChunksOnDemand.chunks(of: handle, in: range, chunkLength: Int64(chunkSize), readAhead: readAhead)
                for try await chunk in chunks {
                    try Task.checkCancellation()
                    chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                    read += Int64(chunk.readableBytes)
                    onRead?(read)
                }
                guard read == range.upperBound - range.lowerBound else { throw EngineError.fileChanged(path) }
                return MD5(bytes: Array(hasher.finalize()))
            }
        } catch let error as FileSystemError where error.code == .notFound {
            throw .fileVanished(path)
        } catch {
            throw HTTPTransport.map(error)
        }
    }

    /// S3's ETag of a multipart object: the MD5 of the parts' MD5s, then `-` and the count.
    static func multipartETag(partMD5s: [[UInt8]]) -> String {
        var hasher = Insecure.MD5()
        for md5 in partMD5s { hasher.update(data: md5) }
        return Hex.encode(hasher.finalize()) + "-\(partMD5s.count)"
    }

    static func bytes(ofHex hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var index = 0
        while index < digits.count {
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(byte)
            index += 2
        }
        return out
    }
}
