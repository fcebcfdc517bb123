import CNCurses
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension CursesScreen {
    public func setTitle(_ title: String?) {
        state.withLock { state in
            guard state.screen != nil else { return }
            if let title {
                // The terminal's own title is saved on its title stack once, and popped on close.
                if !state.titlePushed {
                    TerminalSequence.write(TerminalSequence.pushTitle, to: state.output)
                    state.titlePushed = true
                }
                TerminalSequence.write(TerminalSequence.title(title), to: state.output)
            } else if state.titlePushed {
                TerminalSequence.write(TerminalSequence.popTitle, to: state.output)
                state.titlePushed = false
            }
        }
    }

    public func copyToClipboard(_ text: String) {
        state.withLock { state in
            guard state.screen != nil else { return }
            TerminalSequence.write(TerminalSequence.clipboard(text), to: state.output)
        }
    }

    public func invalidate() {
        state.withLock { state in
            guard state.screen != nil else { return }
            // The next doupdate then rewrites the whole screen.
            clearok(cncurses_curscr(), true)
        }
    }
}

/// Escape sequences that ncurses has no call for, written between frames.
enum TerminalSequence {
    /// xterm's "save the window title on the stack" and "restore it".
    static let pushTitle = "\u{1B}[22;0t"
    static let popTitle = "\u{1B}[23;0t"

    /// OSC 2: the window title. Control characters would end the sequence early, so they go.
    static func title(_ text: String) -> String {
        "\u{1B}]2;" + String(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init)) + "\u{07}"
    }

    /// OSC 52: set the clipboard (`c`) to base64 of the UTF-8 text.
    static func clipboard(_ text: String) -> String {
        "\u{1B}]52;c;" + Data(text.utf8).base64EncodedString() + "\u{07}"
    }

    static func write(_ sequence: String, to file: UnsafeMutablePointer<FILE>) {
        fputs(sequence, file)
        fflush(file)
    }
}
