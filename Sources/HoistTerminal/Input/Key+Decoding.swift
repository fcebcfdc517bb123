import CNCurses

/// What ncurses' `get_wch` returned: a character (status `OK`) or a key code (status
/// `KEY_CODE_YES`).
public enum RawInput: Sendable, Hashable {
    /// A wide character: a code point.
    case character(UInt32)
    /// One of ncurses' `KEY_*` codes.
    case keyCode(Int32)
}

extension Key {
    /// The key for a `get_wch` result, or `nil` for input hoist has no use for (mouse
    /// events, unknown codes, invalid code points, Ctrl-@ and friends).
    public init?(decoding input: RawInput) {
        switch input {
        case .character(let value):
            guard let key = Key.fromCharacter(value) else { return nil }
            self = key
        case .keyCode(let code):
            guard let key = Key.fromKeyCode(code) else { return nil }
            self = key
        }
    }

    private static func fromCharacter(_ value: UInt32) -> Key? {
        switch value {
        case 9: return .tab
        case 10, 13: return .enter  // nonl() delivers Enter as CR; some terminals send LF
        case 8, 127: return .backspace  // terminals disagree: ^H or DEL
        case 27: return .escape
        case 1...26:
            return Unicode.Scalar(value + 0x60).map { .control(Character($0)) }
        case 0..<32, 0x80..<0xA0:
            return nil
        default:
            return Unicode.Scalar(value).map { .character(Character($0)) }
        }
    }

    private static func fromKeyCode(_ code: Int32) -> Key? {
        switch code {
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        case KEY_HOME: return .home
        case KEY_END: return .end
        case KEY_PPAGE: return .pageUp
        case KEY_NPAGE: return .pageDown
        case KEY_ENTER: return .enter
        case KEY_BACKSPACE: return .backspace
        case KEY_DC: return .delete
        case KEY_BTAB: return .backTab
        case cncurses_key_resize(): return .resize
        case (KEY_F0 + 1)...(KEY_F0 + 63): return .function(Int(code - KEY_F0))
        default: return nil
        }
    }
}
