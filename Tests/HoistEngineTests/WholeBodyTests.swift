import Foundation
import HoistTestSupport
import Testing

@testable import HoistEngine

/// The one-piece body a PUT of at most one chunk sends: exactly the range asked for, its
/// MD5 from the same bytes, and the file's troubles named as the stream names them.
@Suite struct WholeBodyTests {
    private func file(_ bytes: Data) throws -> String {
        let path = try TempDirectory.make(prefix: "whole-body") + "/f.bin"
        try TestFiles.write(bytes, to: path)
        return path
    }

    @Test func readsExactlyTheRangeAndHashesThoseBytes() async throws {
        let bytes = Data((0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        let path = try file(bytes)
        for range: Range<Int64> in [0..<10_000, 0..<1, 4_096..<8_192, 9_999..<10_000, 123..<9_877] {
            let body = try await WholeBody.read(path, range: range)
            let expected = bytes[Int(range.lowerBound)..<Int(range.upperBound)]
            #expect(Data(body.bytes.readableBytesView) == expected, "range \(range)")
            #expect(body.md5 == MD5Hex.of(Data(expected)), "range \(range)")
        }
    }

    @Test func aFileShorterThanTheRangeIsChanged() async throws {
        let path = try file(Data(repeating: 0x61, count: 100))
        await #expect(throws: EngineError.fileChanged(path)) { try await WholeBody.read(path, range: 0..<101) }
        await #expect(throws: EngineError.fileChanged(path)) { try await WholeBody.read(path, range: 90..<110) }
    }

    @Test func aMissingFileVanishedAndADirectoryIsUnreadable() async throws {
        let path = try file(Data("x".utf8))
        let gone = path + ".gone"
        await #expect(throws: EngineError.fileVanished(gone)) { try await WholeBody.read(gone, range: 0..<1) }
        // A directory opens but cannot be read (EISDIR): the error names the file and why.
        let directory = (path as NSString).deletingLastPathComponent
        do {
            _ = try await WholeBody.read(directory, range: 0..<1)
            Issue.record("reading a directory succeeded")
        } catch {
            let engine = try #require(error as? EngineError, "\(error)")
            #expect(engine.codeName == "unreadable")
            #expect(engine.message.hasPrefix(directory + ": "), "\(engine.message)")
        }
    }
}
