import Testing
@testable import HoistTUI

@Suite("FileKeySet: the same answers as a set of the checked files")
struct FileKeySetTests {
    @Test("device:inode parses only in its one decimal form; every other key is kept as written, a path")
    func parsing() {
        #expect(FileKeySet.parse("2049:1234567")! == (2049, 1_234_567))
        #expect(FileKeySet.parse("0:0")! == (0, 0))
        for other in ["01:5", "1:05", "1:", ":1", "1:2:3", "/data/photos", "a:1", "1 :2", "", "99999999999999999999:1", "-1:2", "１:2"] {
            #expect(FileKeySet.parse(other) == nil, "\(other)")
            #expect(CheckedFile(stringLiteral: other) == .path(other))
        }
        #expect(CheckedFile(stringLiteral: "2049:7") == .inode(device: 2049, inode: 7))
    }

    @Test("membership, packed or not, matches a Set of the same files, whatever the device numbers")
    func membership() {
        // 66305 is an NVMe partition (259:1), 16777220 a Mac's disk, 65024 a virtio disk.
        let keys: [CheckedFile] = ["65024:10", "65024:11", "66305:10", "16777220:10", "0:0", "7:281474976710656", "01:5",
                    "/data/photos/raw", "1:5", "65024:10"]
        var set = FileKeySet(minimumCapacity: 4)
        for key in keys { set.insert(key) }
        let strings = Set(keys)
        #expect(set.count == strings.count)
        #expect(set.packedCount == 6, "every device:inode key with a 48-bit inode is packed")
        for probe in keys + ["65024:12" as CheckedFile, "1:05", "5:1", "10:65024", "/data/photos", "66305:11", "16777220:11", "7:0"] {
            #expect(set.contains(probe) == strings.contains(probe), "\(probe)")
        }
        var union: FileKeySet = ["/elsewhere", "3:3", "66305:10"]
        union.formUnion(set)
        #expect(union.count == strings.count + 2 && union.contains("/elsewhere") && union.contains("01:5") && union.contains("16777220:10"))
        #expect(FileKeySet(keys.reversed()) == set && FileKeySet(keys.filter { $0 != "1:5" }) != set)
    }
}
