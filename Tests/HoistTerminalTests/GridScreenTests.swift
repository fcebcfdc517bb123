import HoistTerminal
import Testing

@Suite("Grid screen")
struct GridScreenTests {
    private let bold = Style(foreground: .yellow, attributes: .bold)

    @Test("draws a small frame as a text snapshot")
    func snapshot() {
        let screen = GridScreen(size: Size(rows: 4, columns: 20))
        screen.beginFrame()
        screen.draw("┌ hoist ───────────┐", row: 0, column: 0)
        screen.draw("日本語.txt", row: 1, column: 2, style: bold)
        screen.draw(Glyphs.unicode.bar(fraction: 0.45, width: 10), row: 2, column: 2)
        screen.draw("45%", row: 2, column: 13)
        screen.endFrame()
        #expect(screen.text == """
            ┌ hoist ───────────┐
              日本語.txt
              ████▌      45%

            """)
        #expect(screen.frameCount == 1)
        #expect(screen.cell(row: 1, column: 2) == Cell(text: "日", style: bold))
        #expect(screen.cell(row: 1, column: 3) == Cell(text: "", style: bold))
        #expect(screen.cell(row: 1, column: 8)?.text == ".")
        #expect(screen.lines.allSatisfy { TextWidth.width(of: $0) == 20 })
    }

    @Test("text is clipped to the width and the screen edge, never wrapping")
    func clipping() {
        let screen = GridScreen(size: Size(rows: 2, columns: 8))
        #expect(screen.draw("abcdefghijk", row: 0, column: 3) == 5)
        #expect(screen.draw("wide日本", row: 1, column: 0, width: 5, style: .plain) == 4)
        #expect(screen.draw("off screen", row: 2, column: 0) == 0)
        #expect(screen.draw("x", row: -1, column: 0) == 0)
        #expect(screen.text == "   abcde\nwide")
        #expect(screen.cell(row: 1, column: 4) == .blank)
    }

    @Test("combining, zero-width and control characters keep the layout")
    func tricky() {
        let screen = GridScreen(size: Size(rows: 1, columns: 12))
        let drawn = screen.draw("\u{301}e\u{301}\u{1B}[2J|", row: 0, column: 0)
        #expect(drawn == 6)
        #expect(screen.lines == ["e\u{301}?[2J|      "])
    }

    @Test("overwriting half of a wide character blanks the other half")
    func wideOverwrite() {
        let screen = GridScreen(size: Size(rows: 1, columns: 6))
        screen.draw("日本語", row: 0, column: 0)
        screen.draw("x", row: 0, column: 1)
        #expect(screen.lines == [" x本語"])
        screen.draw("y", row: 0, column: 2)
        #expect(screen.lines == [" xy 語"])
    }

    @Test("fill paints styled blanks inside the screen only")
    func fill() {
        let screen = GridScreen(size: Size(rows: 3, columns: 4))
        let selection = Style(attributes: .reverse)
        screen.draw("abcd", row: 1, column: 0)
        screen.fill(Rect(row: 1, column: 2, rows: 5, columns: 5), style: selection)
        #expect(screen.text == "\nab\n")
        #expect(screen.cell(row: 2, column: 3)?.style == selection)
        #expect(screen.cell(row: 0, column: 3)?.style == .plain)
        screen.clear()
        #expect(screen.cell(row: 2, column: 3) == .blank)
    }

    @Test("each frame starts blank")
    func framesStartBlank() {
        let screen = GridScreen(size: Size(rows: 1, columns: 5))
        screen.beginFrame()
        screen.draw("first", row: 0, column: 0)
        screen.endFrame()
        screen.beginFrame()
        screen.draw("2", row: 0, column: 0)
        screen.endFrame()
        #expect(screen.text == "2")
        #expect(screen.frameCount == 2)
    }

    @Test("scripted keys and resizes")
    func keys() {
        let screen = GridScreen(size: Size(rows: 24, columns: 80), keys: [.down, .character("j")])
        #expect(screen.readKey(timeout: .milliseconds(100)) == .down)
        screen.resize(to: Size(rows: 12, columns: 50))
        screen.push(.ctrlC)
        #expect(screen.readKey(timeout: nil) == .character("j"))
        #expect(screen.readKey(timeout: nil) == .resize)
        #expect(screen.size == Size(rows: 12, columns: 50))
        #expect(screen.readKey(timeout: nil) == .ctrlC)
        #expect(screen.readKey(timeout: .zero) == nil)
    }
}
