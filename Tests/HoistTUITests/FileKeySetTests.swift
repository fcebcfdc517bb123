import Testing
@testable import HoistTUI

@Suite("FileKeySet: the same answers as a set of the key strings")
struct FileKeySetTests {
    @Test("device:inode keys are packed only in their one decimal form; every other key is kept as written")
    func packing() {
        #expect(FileKeySet.pack("2049:1234567") == 2049 << 48 | 1_234_567)
        #expect(FileKeySet.pack("0:0") == 0 && FileKeySet.pack("65535:281474976710655") == UInt64.max)
        for other in ["65536:1", "1:281474976710656", "01:5", "1:05", "1:", ":1", "1:2:3", "/data/photos", "a:1", "1 :2", "",
                      "99999999999999999999:1", "-1:2", "１:2"] {
            #expect(FileKeySet.pack(other) == nil, "\(other)")
        }
    }

    @Test("membership, packed or not, matches a Set<String> of the same keys")
    func membership() {
        let keys = ["2049:10", "2049:11", "7:10", "0:0", "65536:10", "01:5", "/data/photos/raw", "1:5", "2049:10"]
        var set = FileKeySet(minimumCapacity: 4)
        for key in keys { set.insert(key) }
        let strings = Set(keys)
        #expect(set.count == strings.count)
        for probe in keys + ["2049:12", "1:05", "5:1", "10:2049", "/data/photos", "65536:11"] {
            #expect(set.contains(probe) == strings.contains(probe), "\(probe)")
        }
        var union: FileKeySet = ["/elsewhere", "3:3"]
        union.formUnion(set)
        #expect(union.count == strings.count + 2 && union.contains("/elsewhere") && union.contains("01:5") && union.contains("3:3"))
    }
}
