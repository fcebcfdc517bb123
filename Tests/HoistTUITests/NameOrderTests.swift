import Foundation
import HoistTUI
import Testing

/// The browser's order and filter, made with the locale once per listing (`NameCollation`),
/// against Foundation's own `localizedStandardCompare` and `localizedCaseInsensitiveContains`.
@Suite("Browser: name order and filter")
struct NameOrderTests {
    /// Names people have: cases, digit runs, accents, punctuation, spaces, other scripts.
    static let names = [
        "file10.txt", "file2.txt", "File1.txt", "file1.txt", "file01.txt", "file 3.txt", "file-4.txt", "file_5.txt",
        "IMG_0009.JPG", "IMG_0010.JPG", "img_0011.jpg", "a", "A", "b", "B", "é", "e", "E", "Ä.png", "a.png", "äb", "ab",
        "Zebra", "zebra", "zz", "_x", "-x", ".x", "x_y", "x-y", "x.y", "9", "10", "100", "2024-01-02 report.pdf",
        "2024-1-3 report.pdf", "日本.txt", "résumé.doc", "resume.doc", "Résumé.doc", "ß.txt", "ss.txt", "v1.2.10", "v1.2.9",
    ]

    static func entries(_ names: [String], directory: Bool = false) -> [DirectoryEntry] {
        names.map { DirectoryEntry(name: $0, directory: "/data", isDirectory: directory, size: 1) }
    }

    @Test("files in Finder's order: the same order as localizedStandardCompare, whatever order they came in")
    func sameAsFoundation() {
        let expected = Self.names.sorted { $0.localizedStandardCompare($1) == .orderedAscending }
        for _ in 0..<5 {
            #expect(BrowserState.sorted(Self.entries(Self.names.shuffled())).map(\.name) == expected)
        }
    }

    @Test("digits by value, case ignored, directories first")
    func naturalOrder() {
        let listed = BrowserState.sorted(Self.entries(["b10", "B2", "a1.txt"]) + Self.entries(["z", "Docs"], directory: true))
        #expect(listed.map(\.name) == ["Docs", "z", "a1.txt", "B2", "b10"])
    }

    @Test("the filter ignores case as Foundation's does, for ASCII and accented names")
    func filterSameAsFoundation() {
        for needle in ["FILE", "1", "é", "É", "img_00", "résumé", ".txt", "日本", "q"] {
            var state = BrowserState(directory: "/data")
            state.entries = BrowserState.sorted(Self.entries(Self.names))
            state.filter = needle
            let expected = state.entries.map(\.name).filter { $0.localizedCaseInsensitiveContains(needle) }
            #expect(state.visible.map(\.name) == expected, "filter \(needle)")
            #expect(needle == "q" ? expected.isEmpty : !expected.isEmpty)
        }
    }

    @Test("the filter matches composed and decomposed accents alike, as Foundation's does (a name typed on macOS is decomposed)")
    func decomposedNamesAndFiltersMatchAsFoundationsDo() {
        let names = ["cafe\u{301}-nfd.txt", "caf\u{E9}-nfc.txt", "Re\u{301}sume\u{301}.pdf", "R\u{E9}sum\u{E9}.pdf", "cafe.txt"]
        var state = BrowserState(directory: "/data")
        state.entries = BrowserState.sorted(Self.entries(names))
        for needle in ["\u{E9}", "\u{C9}", "CAF\u{C9}", "e", "cafe", "e\u{301}", "CAFE\u{301}", "r\u{E9}sum"] {
            state.filter = needle
            let expected = state.entries.map(\.name).filter { $0.localizedCaseInsensitiveContains(needle) }
            #expect(state.visible.map(\.name) == expected, "filter \(needle.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    @Test("the filter's ASCII search answers as Foundation's for random ASCII names and needles, and leaves other names to the locale")
    func asciiFilterSameAsFoundation() {
        var rng = SeededGenerator(seed: 12)
        let alphabet = Array("aAbBzZiIqQ09 ._-~!()[]{}+=,;'@#$%^&".utf8)
        func word(_ length: Int) -> String {
            String(decoding: (0..<length).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }, as: UTF8.self)
        }
        // Non-ASCII names beside them: the locale's search must still answer for these.
        let names = (0..<2_000).map { _ in word(Int(rng.next() % 12)) } + Self.names + ["Ab\u{00E9}", "\u{00C9}ab", "abß", "ﬁle"]
        var state = BrowserState(directory: "/data")
        state.showHidden = true
        state.entries = BrowserState.sorted(Self.entries(names))
        for length in [1, 1, 2, 2, 3, 4] {
            let needle = word(length)
            state.filter = needle
            let expected = state.entries.map(\.name).filter { $0.localizedCaseInsensitiveContains(needle) }
            #expect(state.visible.map(\.name) == expected, "filter \(needle)")
        }
        for needle in ["ab", "AB", "fi", "e", "ss", "i", "cafe"] {
            state.filter = needle
            let expected = state.entries.map(\.name).filter { $0.localizedCaseInsensitiveContains(needle) }
            #expect(state.visible.map(\.name) == expected, "filter \(needle)")
        }
    }
}

/// A small deterministic generator (SplitMix64): the same names on every run.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
