import HoistTerminal
import Testing

@Suite("Text width")
struct TextWidthTests {
    @Test("widths of plain, wide, combining and emoji text", arguments: [
        ("hello.txt", 9), ("", 0), ("日本語.txt", 10), ("한국어", 6), ("ｆｕｌｌ", 8),
        ("cafe\u{301}", 4),  // e + combining acute: one cell
        ("e\u{301}\u{323}", 1),  // two combining marks on one base
        ("😀", 2), ("a😀b", 4), ("🇫🇷", 2),  // a flag is two narrow regional indicators
        ("zero\u{200B}width", 9), ("\u{FEFF}bom", 3),
        ("tab\there", 8),  // control shows as "?"
        ("한\u{1161}", 2),  // Hangul medial vowel: no cell
    ])
    func widths(text: String, width: Int) {
        #expect(TextWidth.width(of: text) == width)
    }

    @Test("control characters are displayed as ?")
    func controls() {
        #expect(TextWidth.displayed("\u{1B}") == "?")
        #expect(TextWidth.displayed("\r\n") == "?")
        #expect(TextWidth.displayed("\u{9B}") == "?")  // C1 CSI
        #expect(TextWidth.displayed("x") == "x")
    }

    @Test("truncation at the end never exceeds the width", arguments: [
        ("short", 10, "short"),
        ("exactly10!", 10, "exactly10!"),
        ("a_long_file_name.txt", 10, "a_long_fi…"),
        ("日本語のファイル名.txt", 9, "日本語の…"),
        ("日本語のファイル名.txt", 8, "日本語…"),  // 7 cells: the next wide char would straddle
        ("cafe\u{301}_menu.pdf", 6, "cafe\u{301}_…"),
        ("abc", 1, "…"),
        ("abc", 0, ""),
    ])
    func truncateEnd(text: String, width: Int, expected: String) {
        let cut = TextWidth.truncate(text, to: width)
        #expect(cut == expected)
        #expect(TextWidth.width(of: cut) <= width)
    }

    @Test("middle truncation keeps the extension")
    func truncateMiddle() {
        let cut = TextWidth.truncate("holiday_photos_2024_final.jpeg", to: 15, at: .middle)
        #expect(cut == "holiday…al.jpeg")
        #expect(TextWidth.width(of: cut) == 15)
        let wide = TextWidth.truncate("写真写真写真写真.jpg", to: 11, at: .middle)
        #expect(TextWidth.width(of: wide) <= 11)
        #expect(wide.hasPrefix("写真"))
        #expect(wide.hasSuffix(".jpg"))
    }

    @Test("an ellipsis wider than the room is dropped")
    func longEllipsis() {
        #expect(TextWidth.truncate("abcdef", to: 2, ellipsis: "...") == "ab")
        #expect(TextWidth.truncate("abcdef", to: 5, ellipsis: "...") == "ab...")
    }

    @Test("fit pads and truncates to exactly the width", arguments: [
        "x", "日本", "cafe\u{301}", "a_long_file_name.txt", "日本語のファイル名", "😀😀😀😀😀",
    ])
    func fitIsExact(text: String) {
        for width in 0...12 {
            #expect(TextWidth.width(of: TextWidth.fit(text, to: width)) == width)
        }
    }

    @Test("padding alignments")
    func padding() {
        #expect(TextWidth.pad("日本", to: 6) == "日本  ")
        #expect(TextWidth.pad("42%", to: 5, alignment: .right) == "  42%")
        #expect(TextWidth.pad("ab", to: 5, alignment: .center) == " ab  ")
        #expect(TextWidth.pad("toolong", to: 3) == "toolong")
    }

    @Test("in a non-UTF-8 locale each character shows as many ? as the cells it takes, so every column after it stays where the layout put it")
    func asciiKeepsTheCells() {
        let decomposed = "cafe\u{0301}"
        #expect(TerminalLocale.ascii(decomposed) == "caf?")
        #expect(TerminalLocale.ascii("写真 2026.png") == "???? 2026.png")
        #expect(TerminalLocale.ascii("a\u{200B}b") == "ab")
        // A name's own marks are ? like any other: `a·b.txt` must not read as the file `a-b.txt`.
        #expect(TerminalLocale.ascii("a·b.txt p×q.txt") == "a?b.txt p?q.txt")
        for text in [decomposed, "写真 2026.png", "👍🏽 ok", "Ünïcödé", "plain", "\u{202E}rtl", "a · b → c… ↑↓ 9×9 – ✓"] {
            #expect(TextWidth.width(of: TerminalLocale.ascii(text)) == TextWidth.width(of: text), "\(text)")
            let shown = TerminalLocale.ascii(text)
            #expect(shown.allSatisfy { $0.isASCII }, "\(text)")
        }
    }
}
