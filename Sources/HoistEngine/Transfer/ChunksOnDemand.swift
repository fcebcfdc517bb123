import NIOCore
import _NIOFileSystem

/// A byte range of an open file, read one chunk each time the consumer asks: nothing is
/// read ahead.
///
/// NIO's `readChunks` reads ahead up to eight chunks (fixed watermarks, 4 and 8), 2 MiB at
/// hoist's 256 KiB chunks, which is what lets one large PUT keep its socket full while the
/// disk catches up. A multipart upload runs `--part-jobs` such streams at once, each after
/// a pass that hashes its part for `Content-MD5`: with four, the read-ahead alone could hold
/// 16 MiB, and a 1 GiB upload into moto peaked at 66.5 MiB against issue 12's 64 MiB.
/// Parts are sent and hashed through this instead.
struct ChunksOnDemand: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let handle: ReadFileHandle
    let range: Range<Int64>
    let chunkLength: Int64

    struct AsyncIterator: AsyncIteratorProtocol {
        let handle: ReadFileHandle
        var offset: Int64
        let end: Int64
        let chunkLength: Int64

        /// The next chunk; nil at the range's end, or where the file ends first (the
        /// consumer compares what it got with what it expected).
        mutating func next() async throws -> ByteBuffer? {
            guard offset < end else { return nil }
            let chunk = try await handle.readChunk(fromAbsoluteOffset: offset, length: .bytes(Swift.min(chunkLength, end - offset)))
            guard chunk.readableBytes > 0 else { return nil }
            offset += Int64(chunk.readableBytes)
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(handle: handle, offset: range.lowerBound, end: range.upperBound, chunkLength: chunkLength)
    }

    /// `range` of `handle` in chunks: through NIO's `readChunks` when `readAhead` (one
    /// stream, which the read-ahead keeps fed), else one chunk at a time.
    static func chunks(of handle: ReadFileHandle, in range: Range<Int64>, chunkLength: Int64,
                       readAhead: Bool) -> any AsyncSequence<ByteBuffer, any Error> & Sendable {
        readAhead
            ? handle.readChunks(in: range, chunkLength: .bytes(chunkLength))
            : ChunksOnDemand(handle: handle, range: range, chunkLength: chunkLength)
    }
}
