import CNCurses
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The real terminal, through ncurses. Only one can be open at a time.
///
/// The terminal is restored (`endwin`) by ``close()``, on deinit, at `exit`, and when a
/// signal would end the process. Signals in ``Options/trappedSignals`` do not end it:
/// ``readKey(timeout:)`` returns them as ``Key/signal(_:)`` so the app can save its state
/// and exit with ``TerminalSignal/exitStatus`` itself.
public final class CursesScreen: Screen {
    struct State {
        var screen: OpaquePointer?
        var window: UnsafeMutablePointer<WINDOW>
        var files: [UnsafeMutablePointer<FILE>]
        var pairs: ColorPairs
        /// Where ncurses writes; escape sequences it has no call for go here too.
        var output: UnsafeMutablePointer<FILE>
        /// Whether the terminal's title was pushed on its title stack, to pop on close.
        var titlePushed = false
        /// The locale cannot show anything but ASCII: other characters are drawn as `?`.
        var asciiOnly = false
    }

    private static let isOpen = Atomic<Bool>(false)
    let state: Mutex<State>

    /// The colours the terminal can show; styles are downsampled to it.
    public let colorDepth: ColorDepth

    /// Takes over the terminal: locale, curses modes, colours, signal handlers.
    public init(options: Options = Options()) throws {
        guard !Self.isOpen.exchange(true, ordering: .sequentiallyConsistent) else {
            throw TerminalError.alreadyActive
        }
        // Without the locale, ncurses treats UTF-8 bytes as Latin-1 garbage.
        _ = cncurses_set_locale()
        do {
            let (input, output, type, files) = try Self.open(options.device)
            // Installed before newterm: ncurses then leaves SIGINT/SIGTERM to us instead of
            // installing its own handler, which would exit(1) rather than report them.
            TerminalRestore.install(trapping: options.trappedSignals, crashes: options.restoresOnCrash)
            guard let screen = newterm(type, output, input), let window = cncurses_stdscr() else {
                TerminalRestore.uninstall()
                files.forEach { fclose($0) }
                throw TerminalError.unknownTerminal(type.map(String.init(cString:)))
            }
            TerminalRestore.active.store(true, ordering: .sequentiallyConsistent)
            Self.configure(window, escapeDelay: options.escapeDelay)
            // COLORS is only known after start_color.
            let colors = options.usesColors && has_colors() && start_color() == cncurses_ok()
            let depth = colors ? ColorDepth(colorCount: Int(cncurses_colors())) : .monochrome
            let defaults = depth != .monochrome && use_default_colors() == cncurses_ok()
            colorDepth = depth
            let pairs = ColorPairs(depth: depth, hasDefaultColors: defaults, limit: Int(cncurses_color_pairs()))
            state = Mutex(State(screen: screen, window: window, files: files, pairs: pairs, output: output,
                                asciiOnly: !TerminalLocale.isUTF8))
        } catch {
            Self.isOpen.store(false, ordering: .sequentiallyConsistent)
            throw error
        }
    }

    deinit { close() }

    /// Gives the terminal back: ends curses and removes the signal handlers. Idempotent.
    public func close() {
        state.withLock { state in
            guard let screen = state.screen else { return }
            if state.titlePushed {
                TerminalSequence.write(TerminalSequence.popTitle, to: state.output)
                state.titlePushed = false
            }
            TerminalRestore.restoreTerminal()
            TerminalRestore.uninstall()
            delscreen(screen)
            state.files.forEach { fclose($0) }
            state.files = []
            state.screen = nil
            Self.isOpen.store(false, ordering: .sequentiallyConsistent)
        }
    }

    /// Throws the reason the terminal cannot be used, without taking it over: not a
    /// terminal, `TERM` unset, or `dumb` (no cursor addressing). Callers check this before
    /// starting anything that must be shut down again. An unknown `TERM` is found only when
    /// the screen opens.
    public static func precheck(_ device: Device = .standard) throws(TerminalError) {
        let descriptors: (Int32, Int32)
        var type = getenv("TERM").map { String(cString: $0) }
        switch device {
        case .standard: descriptors = (0, 1)
        case .descriptors(let input, let output, let terminalType):
            descriptors = (input, output)
            type = terminalType ?? type
        }
        guard isatty(descriptors.0) == 1, isatty(descriptors.1) == 1 else { throw .notATerminal }
        guard let type, !type.isEmpty else { throw .unknownTerminal(nil) }
        guard type != "dumb" else { throw .dumbTerminal }
    }

    private static func open(_ device: Device) throws -> (
        UnsafeMutablePointer<FILE>, UnsafeMutablePointer<FILE>, UnsafePointer<CChar>?, [UnsafeMutablePointer<FILE>]
    ) {
        let type = UnsafePointer(getenv("TERM"))
        switch device {
        case .standard:
            guard isatty(0) == 1, isatty(1) == 1 else { throw TerminalError.notATerminal }
            return (cncurses_stdin(), cncurses_stdout(), type, [])
        case .descriptors(let inputFD, let outputFD, let terminalType):
            guard isatty(inputFD) == 1, isatty(outputFD) == 1 else { throw TerminalError.notATerminal }
            // Duplicates, so that fclose on close() leaves the caller's descriptors open.
            guard let input = fdopen(dup(inputFD), "r") else { throw TerminalError.notATerminal }
            guard let output = fdopen(dup(outputFD), "w") else {
                fclose(input)
                throw TerminalError.notATerminal
            }
            // strdup keeps the name alive for newterm; it is small and leaked once per screen.
            let name = terminalType.flatMap { UnsafePointer(strdup($0)) } ?? type
            return (input, output, name, [input, output])
        }
    }

    private static func configure(_ window: UnsafeMutablePointer<WINDOW>, escapeDelay: Duration) {
        cbreak()
        noecho()
        nonl()
        keypad(window, true)
        intrflush(window, false)
        // The cursor stays hidden, so ncurses need not move it back after each update: fewer
        // bytes per frame over SSH.
        leaveok(window, true)
        curs_set(0)
        set_escdelay(Int32(escapeDelay.milliseconds))
    }
}

extension Duration {
    /// Whole milliseconds, rounded down, for curses timeouts.
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
