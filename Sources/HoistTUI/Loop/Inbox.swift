import HoistEngine
import Synchronization

/// Inputs waiting for the loop, in order; consecutive engine events are kept as one batch.
final class Inbox: Sendable {
    private struct Pending {
        var inputs: [Input] = []
        var events: [EngineEvent] = []

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
        pending.withLock { pending in
            pending.flush()
            defer { pending.inputs = [] }
            return pending.inputs
        }
    }
}
