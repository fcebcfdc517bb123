import Testing
@testable import HoistTUI

@Suite("UploadedFiles: stamps kept by directory and name, found by path or by a listed entry")
struct UploadedFilesTests {
    @Test("a stamp set by path is found by that path and by the entry listed there, nowhere else; nil removes it")
    func byPathAndEntry() {
        var uploaded = UploadedFiles()
        uploaded["/data/photos/a.png"] = FileStamp(size: 10, mtimeNanos: 5)
        uploaded["/top.txt"] = FileStamp(size: 3, mtimeNanos: nil)
        uploaded["relative.txt"] = FileStamp(size: 1, mtimeNanos: nil)
        #expect(uploaded["/data/photos/a.png"] == FileStamp(size: 10, mtimeNanos: 5))
        #expect(uploaded.stamp(for: DirectoryEntry(name: "a.png", directory: "/data/photos", isDirectory: false, size: 10))?.size == 10)
        #expect(uploaded.stamp(for: DirectoryEntry(name: "top.txt", path: "/top.txt", isDirectory: false, size: 3))?.size == 3)
        #expect(uploaded["relative.txt"]?.size == 1)
        #expect(uploaded["/data/a.png"] == nil && uploaded["/data/photos/a.pn"] == nil && uploaded["/data/photos"] == nil)
        uploaded["/data/photos/a.png"] = FileStamp(size: 11, mtimeNanos: nil)
        #expect(uploaded["/data/photos/a.png"]?.size == 11)
        uploaded["/data/photos/a.png"] = nil
        #expect(uploaded["/data/photos/a.png"] == nil && uploaded == {
            var other = UploadedFiles()
            other["/top.txt"] = FileStamp(size: 3, mtimeNanos: nil)
            other["relative.txt"] = FileStamp(size: 1, mtimeNanos: nil)
            return other
        }())
    }
}

extension UploadedFilesTests {
    @Test("10,000 names set in any order, some set again or removed, merged on the way: each found as last set, and equal to the same set in another order")
    func mergedInAnyOrder() {
        let names = (0..<10_000).map { "f-\($0).txt" } + ["é", "Z", "a b", "日本語.png", ""]
        var expected: [String: FileStamp] = [:]
        var uploaded = UploadedFiles()
        for (k, name) in names.shuffled().enumerated() {
            uploaded["/d/" + name] = FileStamp(size: Int64(k), mtimeNanos: k % 2 == 0 ? nil : Int64(k))
            expected[name] = FileStamp(size: Int64(k), mtimeNanos: k % 2 == 0 ? nil : Int64(k))
        }
        for name in names.shuffled().prefix(3000) {
            if name.count % 2 == 0 {
                uploaded["/d/" + name] = nil
                expected[name] = nil
            } else {
                uploaded["/d/" + name] = FileStamp(size: -1, mtimeNanos: 7)
                expected[name] = FileStamp(size: -1, mtimeNanos: 7)
            }
        }
        // One expectation for all: 10,000 of them would hold a shared test thread for a second.
        let wrong = names.filter { uploaded["/d/" + $0] != expected[$0] }
        #expect(wrong.isEmpty, "\(wrong.prefix(5)) of \(wrong.count)")
        #expect(uploaded["/d/f-10000.txt"] == nil && uploaded["/e/f-1.txt"] == nil)
        var again = UploadedFiles()
        for (name, stamp) in expected.shuffled() { again["/d/" + name] = stamp }
        #expect(again == uploaded)
        again["/d/f-1.txt"] = FileStamp(size: 99, mtimeNanos: nil)
        #expect(again != uploaded)
    }
}
