import Testing
@testable import HoistTUI

@Suite("Marks: by directory and name, the same answers as a set of paths")
struct MarksTests {
    private func entry(_ path: String) -> DirectoryEntry {
        DirectoryEntry(name: (path.split(separator: "/").last).map(String.init) ?? path, path: path, isDirectory: false, size: 1)
    }

    @Test("marks in several directories, the root among them, come back directory by directory, each one's names sorted")
    func sortedPaths() {
        let paths = ["/b/x-1", "/a/b/c", "/a/b-c/d", "/top", "/a/b/a", "/a/é", "/a/E"]
        var marks = Marks()
        for path in paths { marks.insert(path) }
        marks.insert("/a/b/c")
        #expect(marks.count == paths.count)
        #expect(Array(marks.sorted()) == ["/top", "/a/E", "/a/é", "/a/b/a", "/a/b/c", "/a/b-c/d", "/b/x-1"])
        #expect(paths.allSatisfy { marks.contains($0) && marks.contains(entry($0)) })
        #expect(!marks.contains("/a/b") && !marks.contains("/b"))
    }

    @Test("toggling one, and all of a listing: all marked unmarks them all, else marks the rest")
    func toggles() {
        let listing = ["/d/1", "/d/2", "/d/3"].map(entry)
        var marks: Marks = ["/d/2", "/elsewhere/f"]
        marks.toggleAll(listing)
        #expect(marks.count == 4 && listing.allSatisfy(marks.contains))
        marks.toggleAll(listing)
        #expect(marks == ["/elsewhere/f"])
        marks.toggle(listing[0])
        #expect(marks.contains("/d/1"))
        marks.toggle(listing[0])
        marks.toggle(entry("/elsewhere/f"))
        #expect(marks.isEmpty && marks == Marks())
    }
}
