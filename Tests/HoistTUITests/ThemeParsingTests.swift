import HoistTerminal
import HoistTUI
import Testing

@Suite("Theme parsing")
struct ThemeParsingTests {
    /// Loads `text` as a theme file named `test.toml` in a temporary directory.
    private func theme(_ text: String) throws -> Theme {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        try directory.write("test.toml", text)
        return try ThemeLoader(searchPath: [directory.path]).load("test")
    }

    /// The error loading `text` gives, with the file path it names.
    private func error(_ text: String) throws -> (ThemeError?, String) {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let file = try directory.write("bad.toml", text)
        do {
            _ = try ThemeLoader(searchPath: [directory.path]).load("bad")
            return (nil, file)
        } catch {
            return (error, file)
        }
    }

    @Test("missing roles fall back to the built-in default")
    func fallback() throws {
        let partial = try theme(#"title = "red""#)
        #expect(partial[.title] == Style(foreground: .red))
        #expect(partial.defines(.title))
        #expect(!partial.defines(.browserDir))
        #expect(partial[.browserDir] == Theme.default[.browserDir])
        #expect(partial[.queueBarDone] == Style(foreground: .green))
    }

    @Test("quoted, dotted and nested keys name the same role")
    func keySpellings() throws {
        let quoted = try theme(##""queue.bar.done" = { fg = "#ff8700", modifiers = ["bold"] }"##)
        let dotted = try theme(##"queue.bar.done = { fg = "#ff8700", modifiers = "bold" }"##)
        let nested = try theme("[queue.bar]\ndone.fg = \"#ff8700\"\ndone.modifiers = [\"bold\"]\n")
        let expected = Style(foreground: .rgb(red: 255, green: 135, blue: 0), attributes: .bold)
        for parsed in [quoted, dotted, nested] {
            #expect(parsed[.queueBarDone] == expected)
        }
    }

    @Test("colours: names, numbers, hex, default and palette entries")
    func colours() throws {
        let parsed = try theme("""
            title = { fg = "bright-cyan", bg = 17 }
            border = 244
            "border.focused" = "accent"
            selection = { fg = "default", bg = "Accent", modifiers = ["reverse", "underline", "dim"] }
            text = {}

            [palette]
            accent = "#5fafd7"
            """)
        #expect(parsed[.title] == Style(foreground: .brightCyan, background: .indexed(17)))
        #expect(parsed[.border] == Style(foreground: .indexed(244)))
        #expect(parsed[.borderFocused] == Style(foreground: .rgb(red: 0x5f, green: 0xaf, blue: 0xd7)))
        #expect(parsed[.selection] == Style(background: .rgb(red: 0x5f, green: 0xaf, blue: 0xd7),
                                            attributes: [.reverse, .underline, .dim]))
        #expect(parsed.defines(.text) && parsed[.text] == .plain)
    }

    @Test("an empty style is plain, not a fallback")
    func emptyStyle() throws {
        let parsed = try theme("border = {}")
        #expect(parsed.defines(.border))
        #expect(parsed[.border] == .plain)
        #expect(Theme.default[.border] != .plain)
    }

    @Test("TOML syntax errors name the file, line and column")
    func syntax() throws {
        let (error, file) = try self.error("title = \"red\"\n\nborder = { fg = }\n")
        let description = try #require(error).description
        #expect(description.hasPrefix(file + ":3:"))
        #expect(description.contains("invalid TOML"))
    }

    @Test("unknown roles are errors naming the key")
    func unknownRole() throws {
        let (error, file) = try self.error("[browser]\ndri = \"blue\"\n")
        #expect(error == .unknownRole(file: file, key: "browser.dri"))
        #expect(error?.description.contains("unknown role 'browser.dri'") == true)
    }

    @Test("bad colours name the key and the value", arguments: [
        ("[browser]\ndir = { fg = \"purpel\" }", "browser.dir.fg", "purpel"),
        ("border = 300", "border", "300"),
        ("title = { bg = \"#12345\" }", "title.bg", "#12345"),
        ("[palette]\nmain = \"nope\"", "palette.main", "nope"),
    ])
    func badColour(text: String, key: String, value: String) throws {
        let (error, file) = try self.error(text)
        #expect(error == .badColor(file: file, key: key, value: value))
        #expect(error?.description.contains("'\(value)' is not a colour") == true)
    }

    @Test("bad modifiers and wrong types are errors naming the key")
    func badValues() throws {
        let (modifier, file) = try self.error(#"title = { modifiers = ["bold", "blink"] }"#)
        #expect(modifier == .badModifier(file: file, key: "title.modifiers", value: "blink"))
        let (boolean, file2) = try self.error("title = true")
        #expect(boolean == .badValue(file: file2, key: "title", expected: "a colour: a string or an integer 0-255"))
        let (extra, file3) = try self.error(#"title = { fg = "red", fgg = "blue" }"#)
        #expect(extra == .badValue(file: file3, key: "title.fgg", expected: "only fg, bg and modifiers in a style"))
        let (palette, file4) = try self.error("palette = 3")
        #expect(palette == .badValue(file: file4, key: "palette", expected: "a table of colour names"))
    }
}
