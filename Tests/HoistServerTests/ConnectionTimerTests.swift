import NIOCore
import Testing

@testable import HoistServer

@Suite("Connection timer (pure)")
struct ConnectionTimerTests {
    private var limits: ConnectionLimits {
        var limits = ConnectionLimits()
        limits.headerTimeout = .seconds(10)
        limits.idleTimeout = .seconds(60)
        limits.bodyTimeout = .seconds(30)
        return limits
    }

    private let zero = NIODeadline.uptimeNanoseconds(1_000_000_000)
    private func at(_ seconds: Double) -> NIODeadline { zero + .nanoseconds(Int64(seconds * 1e9)) }

    /// A send timeout of 20 s, and `requests` pipelined requests read whole at 1 s: the
    /// server is answering.
    private func answering(_ requests: Int = 1) -> ConnectionTimer {
        var limits = limits
        limits.sendTimeout = .seconds(20)
        var timer = ConnectionTimer(limits: limits, now: zero)
        for _ in 0..<requests {
            timer.headArrived(at: at(1))
            timer.requestEnded()
        }
        return timer
    }

    @Test("idle, then a head that trickles in: header timeout from its first byte")
    func headTimeout() {
        var timer = ConnectionTimer(limits: limits, now: zero)
        #expect(timer.phase == .idle)
        #expect(timer.expiry(at: at(59)) == nil)
        #expect(timer.expiry(at: at(60)) == .idle)
        timer.bytesArrived(at: at(5))
        #expect(timer.phase == .head)
        timer.bytesArrived(at: at(14))
        #expect(timer.expiry(at: at(14)) == nil)
        #expect(timer.expiry(at: at(15)) == .head)
    }

    @Test("a body is held to the body timeout from its last byte; the server's own work has no deadline")
    func bodyAndBusy() {
        var timer = ConnectionTimer(limits: limits, now: zero)
        timer.bytesArrived(at: at(1))
        timer.headArrived(at: at(2))
        timer.bodyArrived(at: at(20))
        #expect(timer.expiry(at: at(49)) == nil)
        #expect(timer.expiry(at: at(50)) == .body)
        timer.requestEnded()
        #expect(timer.phase == .busy)
        #expect(timer.deadline == nil)
        #expect(timer.expiry(at: at(100_000)) == nil)
        timer.responseEnded(at: at(200))
        #expect(timer.phase == .idle)
        #expect(timer.expiry(at: at(259)) == nil)
        #expect(timer.expiry(at: at(260)) == .idle)
    }

    @Test("an answer the client stops taking: closed once the output has been blocked for the send timeout, in any phase")
    func blockedOutput() {
        var timer = answering()
        #expect(timer.deadline == nil, "busy, output flowing: the server's own time")
        timer.outputBlocked(at: at(10))
        timer.outputBlocked(at: at(10.5))  // still the first moment it blocked
        // While it waits, the kernel's count is looked at every second.
        #expect(timer.deadline == at(11))
        #expect(timer.expiry(at: at(10.9)) == nil)
        #expect(timer.expiry(at: at(11)) == .sample)
        for second in 11..<30 { timer.outputSampled(at: at(Double(second)), moved: false) }
        #expect(timer.deadline == at(30))
        #expect(timer.expiry(at: at(29.9)) == nil)
        #expect(timer.expiry(at: at(30)) == .send)
        timer.outputFlowed(at: at(31))
        #expect(timer.deadline == nil)
        #expect(timer.expiry(at: at(1_000)) == nil)
        // The answer ended into the buffers; the client still reads none of it: the send
        // timeout comes before the idle one.
        timer.outputBlocked(at: at(40))
        timer.responseEnded(at: at(41))
        #expect(timer.phase == .idle)
        for second in 41..<60 { timer.outputSampled(at: at(Double(second)), moved: false) }
        #expect(timer.deadline == at(60))
        #expect(timer.expiry(at: at(60)) == .send)
    }

    @Test("the send timeout counts from the last time the client took some of the answer, to within a look's interval: not from when the wait began, nor from the end of a first timeout")
    func sendTimeoutCountsFromTheLastMove() {
        var timer = answering()
        timer.outputBlocked(at: at(10))
        // The kernel goes on filling the client's buffer for a moment: its count moves at
        // the first look, then never again (the client reads nothing).
        timer.outputSampled(at: at(11), moved: true)
        for second in 12..<31 { timer.outputSampled(at: at(Double(second)), moved: false) }
        #expect(timer.expiry(at: at(30.9)) == nil)
        #expect(timer.expiry(at: at(31)) == .send, "20 s after the count last moved, not 40 s after the wait began")
        // A slow reader: its count moves at every look, so the timeout never comes.
        var slow = answering()
        slow.outputBlocked(at: at(10))
        for second in 11..<100 {
            #expect(slow.expiry(at: at(Double(second))) == .sample)
            slow.outputSampled(at: at(Double(second)), moved: true)
        }
        // A look after the output flowed again changes nothing.
        slow.outputFlowed(at: at(100))
        slow.outputSampled(at: at(100), moved: false)
        #expect(slow.deadline == nil)
        // A short send timeout is looked at four times in its span.
        var limits = limits
        limits.sendTimeout = .seconds(2)
        #expect(ConnectionTimer(limits: limits, now: zero).sampleInterval == .milliseconds(500))
    }

    @Test("once the server closes the output, the client must take what is queued within the send timeout, in any phase and whatever the water marks say; one that has taken it all and keeps the connection goes a send timeout later")
    func closingOutput() {
        // An answer that said Connection: close, and a request pipelined behind it that will
        // never be answered: busy, with no deadline of its own.
        var timer = answering(2)
        timer.responseEnded(at: at(2))
        #expect(timer.phase == .busy)
        #expect(timer.deadline == nil)
        timer.outputClosing(at: at(3))
        #expect(timer.deadline == at(4), "the kernel's count is looked at every second")
        timer.outputFlowed(at: at(3.5))
        #expect(!timer.isOutputFlowing, "under the low-water mark, the queue still has to go")
        timer.outputSampled(at: at(4), moved: true)
        for second in 5..<24 { timer.outputSampled(at: at(Double(second)), moved: false) }
        #expect(timer.expiry(at: at(23.9)) == nil)
        #expect(timer.expiry(at: at(24)) == .send)
        // Closing while idle: the send timeout, not the idle one, decides.
        var idle = answering(0)
        idle.outputClosing(at: at(50))
        for second in 51..<70 { idle.outputSampled(at: at(Double(second)), moved: false) }
        #expect(idle.expiry(at: at(60)) == nil)
        #expect(idle.expiry(at: at(70)) == .send)
    }

    @Test("a client still reading the last answer when it ended is judged by the send timeout, not cut by the idle one; the idle timeout counts from when the output flows again")
    func idleWaitsForTheOutput() {
        var timer = answering()
        timer.outputBlocked(at: at(2))
        timer.responseEnded(at: at(3))
        #expect(timer.phase == .idle)
        // A slow reader, taking some at every look, well past the idle timeout of 60 s.
        for second in 3..<100 {
            #expect(timer.expiry(at: at(Double(second))) == .sample)
            timer.outputSampled(at: at(Double(second)), moved: true)
        }
        timer.outputFlowed(at: at(100))
        #expect(timer.deadline == at(160))
        #expect(timer.expiry(at: at(159.9)) == nil)
        #expect(timer.expiry(at: at(160)) == .idle)
    }

    @Test("pipelined requests: the connection stays busy until every response has ended")
    func pipelining() {
        var timer = ConnectionTimer(limits: limits, now: zero)
        timer.headArrived(at: at(1))
        timer.requestEnded()
        timer.headArrived(at: at(1))
        timer.requestEnded()
        timer.responseEnded(at: at(2))
        #expect(timer.phase == .busy)
        timer.responseEnded(at: at(3))
        #expect(timer.phase == .idle)
        #expect(timer.deadline == at(63))
    }
}
