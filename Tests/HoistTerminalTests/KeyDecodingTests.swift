import HoistTerminal
import Testing

/// Key codes as ncurses' curses.h defines them (octal there), written out so that the
/// decoder is checked against the ABI rather than against itself.
private enum Code {
    static let down: Int32 = 0o402, up: Int32 = 0o403, left: Int32 = 0o404, right: Int32 = 0o405
    static let home: Int32 = 0o406, backspace: Int32 = 0o407, f0: Int32 = 0o410
    static let delete: Int32 = 0o512, pageDown: Int32 = 0o522, pageUp: Int32 = 0o523
    static let enter: Int32 = 0o527, backTab: Int32 = 0o541, end: Int32 = 0o550
    static let resize: Int32 = 0o632, mouse: Int32 = 0o631
}

@Suite("Key decoding")
struct KeyDecodingTests {
    @Test("ncurses key codes", arguments: [
        (Code.up, Key.up), (Code.down, .down), (Code.left, .left), (Code.right, .right),
        (Code.home, .home), (Code.end, .end), (Code.pageUp, .pageUp), (Code.pageDown, .pageDown),
        (Code.enter, .enter), (Code.backspace, .backspace), (Code.delete, .delete),
        (Code.backTab, .backTab), (Code.resize, .resize), (Code.f0 + 1, .function(1)),
        (Code.f0 + 12, .function(12)),
    ])
    func keyCodes(code: Int32, key: Key) {
        #expect(Key(decoding: .keyCode(code)) == key)
    }

    @Test("control characters", arguments: [
        (UInt32(9), Key.tab), (13, .enter), (10, .enter), (127, .backspace), (8, .backspace),
        (27, .escape), (3, .ctrlC), (1, .control("a")), (26, .control("z")),
    ])
    func controls(value: UInt32, key: Key) {
        #expect(Key(decoding: .character(value)) == key)
    }

    @Test("printable characters, including non-ASCII", arguments: [
        (UInt32(0x71), Character("q")), (0x20, " "), (0x3F, "?"), (0xE9, "é"),
        (0x4E2D, "中"), (0x1F600, "😀"),
    ])
    func printable(value: UInt32, character: Character) {
        #expect(Key(decoding: .character(value)) == .character(character))
    }

    @Test("input hoist ignores decodes to nil")
    func ignored() {
        #expect(Key(decoding: .keyCode(Code.mouse)) == nil)
        #expect(Key(decoding: .character(0)) == nil)
        #expect(Key(decoding: .character(0x1C)) == nil)
        #expect(Key(decoding: .character(0x85)) == nil)  // C1 control (NEL)
        #expect(Key(decoding: .character(0xD800)) == nil)  // lone surrogate: not a scalar
    }

    @Test("help-screen names")
    func names() {
        #expect(Key.ctrlC.description == "Ctrl-C")
        #expect(Key.character(" ").description == "Space")
        #expect(Key.pageDown.description == "PgDn")
        #expect(Key.signal(.terminate).description == "<SIGTERM>")
        #expect(TerminalSignal.hangup.exitStatus == 129)
        #expect(TerminalSignal.terminate.exitStatus == 143)
    }
}
