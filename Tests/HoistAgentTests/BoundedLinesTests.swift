import Foundation
import HoistTestSupport
import Synchronization
import Testing
@testable import HoistAgent

/// What a connection read and its reader has not: the reading task waits while the reader
/// is `limit` behind, so a view that applies slowly holds no more than that.
@Suite("bounded lines between a connection's reader and its consumer")
struct BoundedLinesTests {
    final class Count: Sendable {
        let value = Atomic<Int>(0)
    }

    @Test("the sender waits at the limit until half is read; every element arrives in order, then the end")
    func senderWaitsAtTheLimit() async {
        let lines = BoundedLines<Int>(limit: 8)
        let sent = Count()
        let sender = Task {
            for n in 0..<100 {
                await lines.send(n)
                sent.value.add(1, ordering: .relaxed)
            }
            lines.finish()
        }
        // Held at the limit: the 8th send waits, so 7 have returned, however long we wait.
        #expect(await waitUntil(timeout: 10) { sent.value.load(ordering: .relaxed) == 7 })
        try? await Task.sleep(for: .milliseconds(100))
        #expect(sent.value.load(ordering: .relaxed) == 7, "the sender went past the limit")
        var read: [Int] = []
        for await n in lines { read.append(n) }
        #expect(read == Array(0..<100))
        await sender.value
    }

    @Test("a sender held at the limit returns when its task is cancelled, or when the lines are finished")
    func heldSenderLetsGo() async {
        let lines = BoundedLines<Int>(limit: 2)
        let held = Task {
            for n in 0..<10 { await lines.send(n) }
        }
        held.cancel()
        await held.value
        let other = BoundedLines<Int>(limit: 2)
        let finishedMeanwhile = Task {
            for n in 0..<10 { await other.send(n) }
        }
        other.finish()
        await finishedMeanwhile.value
        var read: [Int] = []
        for await n in other { read.append(n) }
        #expect(read.count <= 2, "nothing is taken after finish: \(read)")
    }

    @Test("a reader waiting for the next element gets it straight from the sender")
    func readerWaitingGetsIt() async {
        let lines = BoundedLines<String>(limit: 4)
        let reader = Task { () -> [String] in
            var read: [String] = []
            for await text in lines { read.append(text) }
            return read
        }
        for text in ["a", "b", "c", "d", "e", "f"] { await lines.send(text) }
        lines.finish()
        #expect(await reader.value == ["a", "b", "c", "d", "e", "f"])
    }
}
