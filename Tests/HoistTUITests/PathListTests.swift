import Testing
@testable import HoistTUI

@Suite("PathList: paths kept as runs of names give back exactly what was appended")
struct PathListTests {
    @Test("any path comes back as given, in order: the root, no directory, a trailing slash, non-ASCII, runs that return")
    func roundTrip() {
        let paths = ["/top", "/a/b/one", "/a/b/two", "relative", "", "/a/b/", "/a/b/ünï côdé 📷.jpg", "/a/b/one", "/",
                     "dir/sub/x", "dir/sub/y", "/a/b/three", "/a//double"]
        let list = PathList(paths)
        #expect(list.count == paths.count)
        #expect(Array(list) == paths)
        #expect(paths.indices.allSatisfy { list[$0] == paths[$0] })
        #expect(Array(list[3..<8]) == Array(paths[3..<8]))
    }

    @Test("a name appended in a directory is the path joined with one slash, whatever the directory's form")
    func appendInDirectory() {
        var list = PathList()
        list.append("a.png", in: "/data/photos")
        list.append("b.png", in: "/data/photos")
        list.append("root.txt", in: "/")
        list.append("plain", in: "")
        list.append("c.png", in: "/data/photos/")
        list.append(contentsOf: ["d.png", "é.png"], in: "/data/photos")
        list.append(contentsOf: [], in: "/nowhere")
        list.append(contentsOf: ["x"], in: "/")
        #expect(Array(list) == ["/data/photos/a.png", "/data/photos/b.png", "/root.txt", "plain", "/data/photos/c.png",
                                "/data/photos/d.png", "/data/photos/é.png", "/x"])
    }

    @Test("lists are equal when their paths are, however they were built; slices drop from the front")
    func equalityAndSlices() {
        var built = PathList()
        for name in ["x", "y", "z"] { built.append(name, in: "/d") }
        let literal: PathList = ["/d/x", "/d/y", "/d/z"]
        #expect(built == literal)
        #expect(built != ["/d/x", "/d/y"] && built != ["/d/x", "/d/y", "/e/z"])
        let rest = literal.dropFirst(1)
        #expect(rest.startIndex == 1 && Array(rest) == ["/d/y", "/d/z"])
        #expect(PathList().isEmpty && Array(PathList()).isEmpty)
    }

    @Test("100,000 paths in one directory come back whole, each at its index")
    func many() {
        var list = PathList()
        for i in 0..<100_000 { list.append("q-\(i).txt", in: "/tmp/queue") }
        #expect(list.count == 100_000)
        #expect(list[0] == "/tmp/queue/q-0.txt" && list[99_999] == "/tmp/queue/q-99999.txt")
        #expect(Array(list[50_000..<50_003]) == ["/tmp/queue/q-50000.txt", "/tmp/queue/q-50001.txt", "/tmp/queue/q-50002.txt"])
    }
}
