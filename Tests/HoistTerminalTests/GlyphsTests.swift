import HoistTerminal
import Testing

@Suite("Glyphs and bars")
struct GlyphsTests {
    @Test("Unicode bars at eighth-cell precision", arguments: [
        (0.0, "          "), (0.0125, "▏         "), (0.05, "▌         "), (0.0375, "▍         "), (0.1, "█         "),
        (0.1125, "█▏        "), (0.45, "████▌     "), (0.5, "█████     "), (0.9875, "█████████▉"),
        (0.999, "█████████▉"), (1.0, "██████████"), (1.7, "██████████"), (-0.2, "          "),
        (Double.nan, "          "),
    ])
    func unicodeBars(fraction: Double, expected: String) {
        #expect(Glyphs.unicode.bar(fraction: fraction, width: 10) == expected)
    }

    @Test("ASCII bars with caps", arguments: [
        (0.0, "[----------]"), (0.05, "[----------]"), (0.1, "[#---------]"), (0.5, "[#####-----]"),
        (0.99, "[#########-]"), (1.0, "[##########]"),
    ])
    func asciiBars(fraction: Double, expected: String) {
        #expect(Glyphs.ascii.bar(fraction: fraction, width: 12) == expected)
    }

    @Test("every bar is exactly its width, at many fractions and widths")
    func widthsAreExact() {
        // One expectation for all 12,462 bars: as many would hold a shared test thread.
        var wrong: [String] = []
        for glyphs in [Glyphs.unicode, .ascii] {
            for width in 0...30 {
                for step in 0...200 {
                    let bar = glyphs.bar(fraction: Double(step) / 200, width: width)
                    if TextWidth.width(of: bar) != width { wrong.append("\(glyphs.isUnicode) \(width) \(step): \(bar)") }
                }
            }
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(5)) of \(wrong.count)")
    }

    @Test("bars never shrink as the fraction grows")
    func monotonic() {
        for glyphs in [Glyphs.unicode, .ascii] {
            var previous = -1
            for step in 0...400 {
                let segments = glyphs.barSegments(fraction: Double(step) / 400, width: 17)
                let filled = segments.done.unicodeScalars.reduce(0) { total, scalar in
                    total + (glyphs.barEighths.firstIndex(of: String(scalar)).map { $0 + 1 }
                        ?? (String(scalar) == glyphs.barDone ? 8 : 0))
                }
                #expect(filled >= previous)
                previous = filled
            }
        }
    }

    @Test("segments split done from todo")
    func segments() {
        let unicode = Glyphs.unicode.barSegments(fraction: 0.45, width: 10)
        #expect(unicode.done == "████▌")
        #expect(unicode.todo == "     ")
        let ascii = Glyphs.ascii.barSegments(fraction: 0.3, width: 12)
        #expect(ascii.done == "[###")
        #expect(ascii.todo == "-------]")
        #expect(Glyphs.ascii.bar(fraction: 0.5, width: 2) == "#-")  // too narrow for caps
    }

    @Test("locale detection follows LC_ALL, LC_CTYPE, LANG")
    func locale() {
        #expect(Glyphs.localeIsUTF8(environment: ["LANG": "en_US.UTF-8"]))
        #expect(Glyphs.localeIsUTF8(environment: ["LC_CTYPE": "C.utf8", "LANG": "C"]))
        #expect(!Glyphs.localeIsUTF8(environment: ["LC_ALL": "C", "LANG": "en_US.UTF-8"]))
        #expect(Glyphs.localeIsUTF8(environment: ["LC_ALL": "", "LANG": "de_DE.UTF-8"]))
        #expect(!Glyphs.localeIsUTF8(environment: [:]))
        #expect(Glyphs.select(ascii: false, environment: ["LANG": "C.UTF-8"]) == .unicode)
        #expect(Glyphs.select(ascii: true, environment: ["LANG": "C.UTF-8"]) == .ascii)
        #expect(Glyphs.select(ascii: false, environment: ["LANG": "POSIX"]) == .ascii)
    }

    @Test("ASCII glyphs are ASCII and one cell each")
    func asciiIsAscii() {
        let ascii = Glyphs.ascii
        let all = [ascii.ellipsis, ascii.mark, ascii.pointer, ascii.barDone, ascii.barTodo,
                   ascii.box.horizontal, ascii.box.vertical, ascii.box.topLeft, ascii.box.teeUp]
        for glyph in all {
            #expect(glyph.unicodeScalars.allSatisfy { $0.isASCII })
            #expect(TextWidth.width(of: glyph) == 1)
        }
        #expect(Glyphs.unicode.barEighths.count == 7)
    }
}
