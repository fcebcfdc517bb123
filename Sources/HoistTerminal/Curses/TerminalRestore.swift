import CNCurses
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Process-wide restore of the terminal: signal handlers and `atexit` carry no context, so
/// what they need lives in these atomics.
enum TerminalRestore {
    /// Whether curses owns the terminal (`endwin` not yet called).
    static let active = Atomic<Bool>(false)
    /// Trapped signals that arrived and were not yet reported, one bit per signal number.
    static let pending = Atomic<UInt64>(0)
    /// Signals to report rather than die of.
    static let trapped = Atomic<UInt64>(0)
    /// Signals whose handler is ours right now.
    static let installed = Atomic<UInt64>(0)
    private static let atExitRegistered = Atomic<Bool>(false)

    /// The actions replaced, indexed by signal number. Written only while our handler is not
    /// installed for that signal, read only by the handler: no overlap, hence no lock.
    nonisolated(unsafe) static let previous: UnsafeMutablePointer<sigaction> = {
        let storage = UnsafeMutablePointer<sigaction>.allocate(capacity: 64)
        storage.initialize(repeating: sigaction(), count: 64)
        return storage
    }()

    /// Signals that end the program by default and can be trapped.
    static let terminating: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]
    /// Crashes: restore, then let the previous handler (Swift's backtracer) run.
    static let crashing: [Int32] = [SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE, SIGTRAP]

    static func install(trapping signals: Set<TerminalSignal>, crashes: Bool) {
        trapped.store(signals.reduce(0) { $0 | bit($1.number) }, ordering: .sequentiallyConsistent)
        pending.store(0, ordering: .sequentiallyConsistent)
        for signal in terminating + (crashes ? crashing : []) where installed.load(ordering: .sequentiallyConsistent) & bit(signal) == 0 {
            var action = sigaction()
            setHandler(&action, handleSignal)
            sigemptyset(&action.sa_mask)
            // poll() is never restarted, so key reads still wake up; other threads' reads are.
            action.sa_flags = SA_RESTART
            sigaction(signal, &action, previous + Int(signal))
            installed.bitwiseOr(bit(signal), ordering: .sequentiallyConsistent)
        }
        if !atExitRegistered.exchange(true, ordering: .sequentiallyConsistent) {
            atexit(restoreAtExit)
        }
    }

    static func uninstall() {
        let mask = installed.exchange(0, ordering: .sequentiallyConsistent)
        for signal in terminating + crashing where mask & bit(signal) != 0 {
            sigaction(signal, previous + Int(signal), nil)
        }
        trapped.store(0, ordering: .sequentiallyConsistent)
    }

    /// Ends curses if it is still active; safe to call any number of times.
    static func restoreTerminal() {
        if active.exchange(false, ordering: .sequentiallyConsistent) {
            endwin()
        }
    }

    /// The lowest-numbered trapped signal not yet reported, now marked reported.
    static func takePending() -> TerminalSignal? {
        var mask = pending.load(ordering: .sequentiallyConsistent)
        while mask != 0 {
            let number = Int32(mask.trailingZeroBitCount)
            let (exchanged, original) = pending.compareExchange(
                expected: mask, desired: mask & ~bit(number), ordering: .sequentiallyConsistent)
            if exchanged { return TerminalSignal(number) }
            mask = original
        }
        return nil
    }

    static func bit(_ signal: Int32) -> UInt64 { UInt64(1) << UInt64(signal) }

    private static func setHandler(_ action: inout sigaction, _ handler: @convention(c) (Int32) -> Void) {
        #if os(Linux)
        action.__sigaction_handler.sa_handler = handler
        #else
        action.__sigaction_u.__sa_handler = handler
        #endif
    }
}

/// Reports a trapped signal, or restores the terminal and re-raises the signal under the
/// action that was there before us. Calling `endwin` here is not async-signal-safe; it is
/// the best effort ncurses programs make, and the alternative is a wrecked terminal.
private func handleSignal(_ signal: Int32) {
    let bit = TerminalRestore.bit(signal)
    if TerminalRestore.trapped.load(ordering: .sequentiallyConsistent) & bit != 0 {
        TerminalRestore.pending.bitwiseOr(bit, ordering: .sequentiallyConsistent)
        return
    }
    TerminalRestore.restoreTerminal()
    sigaction(signal, TerminalRestore.previous + Int(signal), nil)
    TerminalRestore.installed.bitwiseAnd(~bit, ordering: .sequentiallyConsistent)
    raise(signal)
}

private func restoreAtExit() {
    TerminalRestore.restoreTerminal()
}
