import Synchronization

/// A one-shot signal between tasks: `wait()` returns once `open()` has been called, at
/// once if it already was. Lets a test hold one side of a race at a known point.
public final class AsyncGate: Sendable {
    private let state = Mutex<(opened: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

    public init() {}

    public func open() {
        let waiting = state.withLock { state in
            state.opened = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    public func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state in
                if state.opened { return true }
                state.waiting.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }
}
