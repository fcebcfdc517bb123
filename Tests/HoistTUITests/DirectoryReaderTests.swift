import Foundation
import HoistEngine
import Testing
@testable import HoistTUI

@Suite("DirectoryReader: a large directory listed in the browser's order, every file checked once")
struct DirectoryReaderTests {
    @Test("5,000 files and a subdirectory: sorted (directories first, digits by value), each file checked once in slices, problems where they belong")
    func largeListing() throws {
        let directory = FileManager.default.temporaryDirectory.path + "/hoist-reader-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory + "/sub", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let count = 5000
        for i in (0..<count).shuffled() {
            #expect(FileManager.default.createFile(atPath: directory + "/f\(i).txt", contents: Data("\(i)".utf8)))
        }
        var asked: [[String]] = []
        let entries = try DirectoryReader.list(directory) { paths in
            asked.append(paths)
            return paths.map { $0.hasSuffix("7.txt") ? EngineError.emptyFile($0) : nil }
        }
        #expect(entries.map(\.name) == ["sub"] + (0..<count).map { "f\($0).txt" })
        #expect(asked.count == 2 && asked.allSatisfy { $0.count <= 4096 })
        #expect(asked.flatMap { $0 }.sorted() == (0..<count).map { directory + "/f\($0).txt" }.sorted())
        for entry in entries where !entry.isDirectory {
            #expect((entry.problem != nil) == entry.name.hasSuffix("7.txt"), "\(entry.name)")
            #expect(entry.size == Int64("\(entry.name.dropFirst().dropLast(4))".utf8.count))
        }
    }
}
