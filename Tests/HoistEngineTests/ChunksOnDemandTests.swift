import Foundation
import HoistTestSupport
import NIOCore
import Testing
import _NIOFileSystem

@testable import HoistEngine

/// A multipart upload's parts are read one chunk at a time, never ahead.
@Suite("Chunks on demand")
struct ChunksOnDemandTests {
    @Test("a range comes back byte for byte in chunks of the length asked; a file that ends first ends the chunks")
    func bytes() async throws {
        let dir = try TempDirectory.make(prefix: "hoist-chunks")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = TestBytes.pseudoRandom(count: 10_000, seed: 7)
        try TestFiles.write(data, to: dir + "/f")
        try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(dir + "/f")) { handle in
            var chunks: [ByteBuffer] = []
            for try await chunk in ChunksOnDemand(handle: handle, range: 1_000..<8_500, chunkLength: 3_000) { chunks.append(chunk) }
            #expect(chunks.map(\.readableBytes) == [3_000, 3_000, 1_500])
            #expect(Data(chunks.flatMap { Array($0.readableBytesView) }) == data[1_000..<8_500])
            var short = 0
            for try await chunk in ChunksOnDemand(handle: handle, range: 9_000..<12_000, chunkLength: 4_096) { short += chunk.readableBytes }
            #expect(short == 1_000)
        }
    }

    @Test("nothing is read before it is asked for: bytes written after the first chunk was taken are the ones the second chunk holds")
    func noReadAhead() async throws {
        let dir = try TempDirectory.make(prefix: "hoist-chunks")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/f"
        try TestFiles.write(Data(repeating: 0x61, count: 4 << 20), to: path)
        try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
            var iterator = ChunksOnDemand(handle: handle, range: 0..<(4 << 20), chunkLength: 256 << 10).makeAsyncIterator()
            #expect(try await iterator.next()?.readableBytes == 256 << 10)
            // NIO's readChunks would have read up to eight chunks ahead by now.
            let writer = try #require(FileHandle(forWritingAtPath: path))
            try writer.seek(toOffset: UInt64(256 << 10))
            try writer.write(contentsOf: Data(repeating: 0x62, count: 256 << 10))
            try writer.close()
            let second = try #require(try await iterator.next())
            #expect(second.readableBytesView.allSatisfy { $0 == 0x62 })
        }
    }
}
