import Foundation
import HoistEngine
import HoistTestSupport
import Testing
@testable import HoistTUI

@Suite("DirectoryReader: a large directory listed in the browser's order, every file checked once")
struct DirectoryReaderTests {
    @Test("a name that is not UTF-8 is listed with that as its problem (not 'no such file'), and never handed to the checks")
    func unnamableNames() throws {
        let directory = try TempDirectory.make(prefix: "hoist-reader-bytes")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try TestFiles.write("ok", to: directory + "/ok.txt")
        let raw: [UInt8] = Array((directory + "/bad").utf8) + [0xFF, 0xFE] + Array(".txt".utf8) + [0]
        let fd = raw.withUnsafeBufferPointer { open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_CREAT | O_WRONLY, 0o644) }
        #expect(fd >= 0)
        close(fd)
        var asked: [String] = []
        let entries = try DirectoryReader.list(directory) { paths in
            asked += paths
            return paths.map { _ in nil }
        }
        #expect(entries.count == 2)
        #expect(asked == [directory + "/ok.txt"])
        let bad = try #require(entries.first { $0.name != "ok.txt" })
        #expect(bad.name == "bad\u{FFFD}\u{FFFD}.txt")
        #expect(bad.problem?.message.contains("not valid UTF-8") == true, "\(String(describing: bad.problem))")
    }

    @Test("5,000 files and a subdirectory: sorted (directories first, digits by value), each file checked once in slices, problems where they belong")
    func largeListing() throws {
        let directory = try TempDirectory.make(prefix: "hoist-reader")
        try FileManager.default.createDirectory(atPath: directory + "/sub", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let count = 5000
        for i in (0..<count).shuffled() {
            try TestFiles.write("\(i)", to: directory + "/f\(i).txt")
        }
        var asked: [[String]] = []
        let entries = try DirectoryReader.list(directory) { paths in
            asked.append(paths)
            return paths.map { $0.hasSuffix("7.txt") ? EngineError.emptyFile($0) : nil }
        }
        #expect(entries.map(\.name) == ["sub"] + (0..<count).map { "f\($0).txt" })
        #expect(asked.count == 2 && asked.allSatisfy { $0.count <= 4096 })
        #expect(asked.flatMap { $0 }.sorted() == (0..<count).map { directory + "/f\($0).txt" }.sorted())
        // One expectation for all 5,000 entries, not 10,000 on a shared test thread.
        let wrong = entries.filter {
            !$0.isDirectory && ((($0.problem != nil) != $0.name.hasSuffix("7.txt"))
                || $0.size != Int64("\($0.name.dropFirst().dropLast(4))".utf8.count))
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(5).map(\.name)) of \(wrong.count)")
    }
}
