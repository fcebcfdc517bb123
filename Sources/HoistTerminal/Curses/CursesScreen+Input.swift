import CNCurses

extension CursesScreen {
    /// The longest single wait inside ``readKey(timeout:)``: a signal arriving on another
    /// thread does not interrupt the wait, so it is noticed within this time.
    static let pollSlice = Duration.milliseconds(100)

    public func readKey(timeout: Duration?) -> Key? {
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now + $0 }
        repeat {
            guard state.withLock({ $0.screen != nil }) else { return nil }
            if let signal = TerminalRestore.takePending() { return .signal(signal) }
            let wait = deadline.map { max(.zero, min(Self.pollSlice, $0 - clock.now)) } ?? Self.pollSlice
            if let key = readOnce(waiting: wait) { return key }
        } while deadline.map { clock.now < $0 } ?? true
        return TerminalRestore.takePending().map { .signal($0) }
    }

    /// One `get_wch` with a timeout; `nil` on timeout, interruption or unusable input.
    private func readOnce(waiting wait: Duration) -> Key? {
        state.withLock { state in
            guard state.screen != nil else { return nil }
            wtimeout(state.window, Int32(wait.milliseconds))
            var value: wint_t = 0
            switch wget_wch(state.window, &value) {
            case cncurses_ok():
                return Key(decoding: .character(UInt32(value)))
            case cncurses_key_code_yes():
                return Key(decoding: .keyCode(Int32(bitPattern: UInt32(value))))
            default:
                return nil
            }
        }
    }
}
