extension CursesScreen {
    /// Where the terminal is.
    public enum Device: Sendable, Hashable {
        /// Standard input and output, with the type from `TERM`.
        case standard
        /// Other file descriptors (a pty, `/dev/tty`), with a terminal type or `TERM`'s.
        case descriptors(input: Int32, output: Int32, terminalType: String?)
    }

    /// How to set the terminal up.
    public struct Options: Sendable {
        /// Signals reported by ``readKey(timeout:)`` instead of ending the process.
        public var trappedSignals: Set<TerminalSignal>
        /// Use colours if the terminal has them (false: attributes only).
        public var usesColors: Bool
        /// How long a lone Escape waits for the rest of an escape sequence.
        public var escapeDelay: Duration
        /// Restore the terminal on crashes (SIGSEGV, SIGABRT…) before the crash proceeds.
        public var restoresOnCrash: Bool
        /// Where the terminal is.
        public var device: Device

        public init(
            trappedSignals: Set<TerminalSignal> = [.interrupt, .terminate, .hangup],
            usesColors: Bool = true,
            escapeDelay: Duration = .milliseconds(25),
            restoresOnCrash: Bool = true,
            device: Device = .standard
        ) {
            self.trappedSignals = trappedSignals
            self.usesColors = usesColors
            self.escapeDelay = escapeDelay
            self.restoresOnCrash = restoresOnCrash
            self.device = device
        }
    }
}
