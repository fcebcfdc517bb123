import Synchronization

/// What a connection read and its reader has not taken yet, at most `limit` of it: the task
/// reading the socket waits while the reader is that far behind, so the socket fills and the
/// engine's writer waits in turn. An `AsyncStream` keeps everything: attaching after 100,000
/// uploads decoded the 300,000 lines of the snapshot faster than a view applied them, and
/// held them all.
public final class BoundedLines<Element: Sendable>: AsyncSequence, Sendable {
    private struct State {
        var items: [Element] = []
        var head = 0
        var finished = false
        var reader: CheckedContinuation<Element?, Never>?
        var writer: CheckedContinuation<Void, Never>?

        var count: Int { items.count - head }

        mutating func takeFirst() -> Element {
            let element = items[head]
            head += 1
            // Compacted once half is read, so the array never holds more than twice `limit`.
            if head >= 1024, head * 2 >= items.count {
                items.removeFirst(head)
                head = 0
            }
            return element
        }
    }

    private let state = Mutex(State())
    private let limit: Int

    init(limit: Int) { self.limit = Swift.max(1, limit) }

    /// Hands on `element`; waits while `limit` wait unread (until half of them are read, the
    /// sequence is finished, or this task is cancelled).
    func send(_ element: Element) async {
        let (reader, full) = state.withLock { state -> (CheckedContinuation<Element?, Never>?, Bool) in
            guard !state.finished else { return (nil, false) }
            if let reader = state.reader {
                state.reader = nil
                return (reader, false)
            }
            state.items.append(element)
            return (nil, state.count >= limit)
        }
        if let reader {
            reader.resume(returning: element)
            return
        }
        guard full else { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    guard state.count >= limit, !state.finished, !Task.isCancelled else { return true }
                    state.writer = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.writer.take() }?.resume()
        }
    }

    /// No more elements: the reader gets those left, then the end.
    func finish() {
        let (reader, writer) = state.withLock { state in
            state.finished = true
            let reader = state.count == 0 ? state.reader.take() : nil
            return (reader, state.writer.take())
        }
        reader?.resume(returning: nil)
        writer?.resume()
    }

    /// The next element, or nil once finished and read to the end.
    func next() async -> Element? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Element?, Never>) in
            let (result, writer) = state.withLock { state -> (Element??, CheckedContinuation<Void, Never>?) in
                if state.count > 0 {
                    let element = state.takeFirst()
                    let writer = state.count <= limit / 2 ? state.writer.take() : nil
                    return (.some(element), writer)
                }
                if state.finished { return (.some(nil), nil) }
                state.reader = continuation
                return (nil, nil)
            }
            writer?.resume()
            if let result { continuation.resume(returning: result) }
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let lines: BoundedLines
        public mutating func next() async -> Element? { await lines.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(lines: self) }
}
