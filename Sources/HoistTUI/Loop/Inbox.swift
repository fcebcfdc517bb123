import HoistEngine
import Synchronization

/// Inputs waiting for the loop, in order; consecutive engine events are kept as one batch.
final class Inbox: Sendable {
    private struct Pending {
        var inputs: [Input] = []
        var events: [EngineEvent] = []
        /// Waiting for the loop to take what is here (``taken()``).
        var waiters: [CheckedContinuation<Void, Never>] = []

        mutating func flush() {
            guard !events.isEmpty else { return }
            inputs.append(.events(events))
            events = []
        }
    }

    private let pending = Mutex(Pending())

    func post(_ event: EngineEvent) { pending.withLock { $0.events.append(event) } }

    func post(_ input: Input) {
        pending.withLock { pending in
            pending.flush()
            pending.inputs.append(input)
        }
    }

    func take() -> [Input] {
        let (inputs, waiters) = pending.withLock { pending in
            pending.flush()
            defer {
                pending.inputs = []
                pending.waiters = []
            }
            return (pending.inputs, pending.waiters)
        }
        for waiter in waiters { waiter.resume() }
        return inputs
    }

    /// Returns once the loop has taken every input posted so far: a producer that waits
    /// for this hands the loop no more than it applies (a snapshot of 300,000 events).
    func taken() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let empty = pending.withLock { pending in
                guard pending.inputs.isEmpty, pending.events.isEmpty else {
                    pending.waiters.append(continuation)
                    return false
                }
                return true
            }
            if empty { continuation.resume() }
        }
    }
}
