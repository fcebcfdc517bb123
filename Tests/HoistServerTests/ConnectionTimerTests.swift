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
    private func at(_ seconds: Int64) -> NIODeadline { zero + .seconds(seconds) }

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
        var limits = limits
        limits.sendTimeout = .seconds(20)
        var timer = ConnectionTimer(limits: limits, now: zero)
        timer.headArrived(at: at(1))
        timer.requestEnded()
        #expect(timer.deadline == nil, "busy, output flowing: the server's own time")
        timer.outputBlocked(at: at(10))
        timer.outputBlocked(at: at(15))  // still the first moment it blocked
        #expect(timer.deadline == at(30))
        #expect(timer.expiry(at: at(29)) == nil)
        #expect(timer.expiry(at: at(30)) == .send)
        timer.outputFlowed()
        #expect(timer.deadline == nil)
        #expect(timer.expiry(at: at(1_000)) == nil)
        // The answer ended into the buffers; the client still reads none of it: the send
        // timeout comes before the idle one.
        timer.outputBlocked(at: at(40))
        timer.responseEnded(at: at(41))
        #expect(timer.phase == .idle)
        #expect(timer.deadline == at(60))
        #expect(timer.expiry(at: at(60)) == .send)
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
