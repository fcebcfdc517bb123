import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// `hoist-bench relay`: a TCP relay that delivers every chunk a fixed delay after it
/// arrived, in each direction. It exists because this kernel has no `netem`: `tc tbf`
/// gives the link its rate, and this relay, in the server's namespace on its veth
/// address, gives it its latency (the delay is half the RTT).
///
/// A connection's first bytes also wait one RTT more: the kernel completes the client's
/// handshake with the relay at once, where a real WAN would have made it wait a round
/// trip, and a client that opens connections often (a curl process per call) would
/// otherwise get them free. What it does not model: TCP's own RTT (slow start and the
/// congestion window see a short hop), so the rate comes from tbf alone.
///
/// It holds at most `--hold-bytes` each way and stops reading a side beyond that, so a
/// fast sender meets back-pressure instead of filling memory.
///
/// With `--trace FILE` it appends a line for every chunk it reads (see `RelayTrace`) on
/// each connection accepted while FILE exists: the bench makes the file for the run it
/// splits and removes it after, so the other rows' transfers pay nothing for the trace.
struct DelayRelay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay", abstract: "Relay TCP with a fixed delay each way (for --wan).", shouldDisplay: false)

    @Option(help: "HOST:PORT to listen on.") var listen: String
    @Option(help: "HOST:PORT to relay to.") var target: String
    @Option(name: .customLong("delay-us"), help: "Delay each way, in microseconds (half the RTT).") var delayMicroseconds: Int
    @Option(name: .customLong("hold-bytes"), help: "Bytes held each way before reading stops.") var holdBytes: Int
    @Option(help: "While this file exists, append to it a line per chunk read on new connections.") var trace: String?

    func validate() throws {
        guard delayMicroseconds >= 0, holdBytes > 0 else { throw ValidationError("--delay-us ≥ 0 and --hold-bytes > 0") }
    }

    func run() async throws {
        let (listenHost, listenPort) = try hostAndPort(listen)
        let (targetHost, targetPort) = try hostAndPort(target)
        let delay = TimeAmount.microseconds(Int64(delayMicroseconds))
        let hold = holdBytes
        // One thread: both ends of a connection share it, so a pipe's state needs no lock.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let lead = TimerLead()
        let traceFile = trace
        let connections = ConnectionCounter()
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { inbound in
                inbound.eventLoop.makeCompletedFuture {
                    // The bytes of a fresh connection reach the target no sooner than a
                    // handshake and a one-way trip would have let them.
                    let tap = traceFile.flatMap { RelayTrace.Tap(path: $0, connection: connections.next()) }
                    let upstream = DelayedPipe(delay: delay, hold: hold, notBefore: .now() + delay * 3, lead: lead,
                                               trace: tap.map { ($0, .request) })
                    try inbound.pipeline.syncOperations.addHandler(upstream)
                    ClientBootstrap(group: inbound.eventLoop)
                        .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                        .channelInitializer { outbound in
                            outbound.eventLoop.makeCompletedFuture {
                                let downstream = DelayedPipe(delay: delay, hold: hold, notBefore: .now(), lead: lead,
                                                             trace: tap.map { ($0, .answer) })
                                downstream.attach(inbound)
                                try outbound.pipeline.syncOperations.addHandler(downstream)
                            }
                        }
                        .connect(host: targetHost, port: targetPort)
                        .assumeIsolated()
                        .whenComplete { result in
                            switch result {
                            case .success(let outbound): upstream.attach(outbound)
                            case .failure: inbound.close(promise: nil)
                            }
                        }
                }
            }
            .bind(host: listenHost, port: listenPort).get()
        // The bench waits for this line before it measures anything.
        FileHandle.standardOutput.write(Data("relay \(listen) -> \(target), \(Double(delayMicroseconds) / 1000) ms each way, holding ≤ \(hold) B\n".utf8))
        try await server.closeFuture.get()
    }
}

/// One direction of a relayed connection: what its own channel reads reaches `peer`
/// `delay` later, in order.
final class DelayedPipe: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let delay: TimeAmount
    private let hold: Int
    private var notBefore: NIODeadline
    private var peer: (any Channel)?
    private var context: ChannelHandlerContext?
    /// Chunks read and not yet written, each with the instant it may go.
    private var queue = CircularBuffer<(release: NIODeadline, bytes: ByteBuffer)>()
    /// Bytes read whose write to the peer has not completed yet.
    private var held = 0
    private var timer: Scheduled<Void>?
    private let lead: TimerLead
    /// This side closed: close the peer once everything it sent has been delivered.
    private var ended = false
    /// Where the chunks this side reads are traced, and which way they go.
    private let trace: (tap: RelayTrace.Tap, direction: RelayTrace.Direction)?

    init(delay: TimeAmount, hold: Int, notBefore: NIODeadline, lead: TimerLead,
         trace: (tap: RelayTrace.Tap, direction: RelayTrace.Direction)? = nil) {
        self.delay = delay
        self.hold = hold
        self.notBefore = notBefore
        self.lead = lead
        self.trace = trace
    }

    /// The channel bytes go to, once it is connected.
    func attach(_ peer: any Channel) {
        self.peer = peer
        release()
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        if let trace { trace.tap.record(trace.direction, bytes: bytes.readableBytes) }
        held += bytes.readableBytes
        queue.append((max(.now() + delay, notBefore), bytes))
        if held > hold { try? context.channel.syncOptions?.setOption(.autoRead, value: false) }
        arm()
    }

    func channelInactive(context: ChannelHandlerContext) {
        ended = true
        release()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }

    /// Writes every chunk whose time has come, then waits for the next one.
    private func release(armedFor target: NIODeadline? = nil) {
        // Called early (attach, a closed side), it leaves an armed timer armed.
        if target != nil { timer = nil }
        // Chunks the timer was armed for are due even when it woke a little early.
        let due = max(NIODeadline.now(), target ?? .uptimeNanoseconds(0))
        // Nothing goes before the peer is connected: attach calls this again.
        guard let peer, context != nil else { return }
        var wrote = false
        while let first = queue.first, first.release <= due {
            queue.removeFirst()
            let count = first.bytes.readableBytes
            wrote = true
            peer.write(first.bytes).assumeIsolated().whenComplete { [self] _ in written(count) }
        }
        if wrote { peer.flush() }
        if ended && queue.isEmpty && held == 0 { peer.close(promise: nil) }
        arm()
    }

    private func written(_ count: Int) {
        held -= count
        // Reading resumes at half the limit, so it does not flap on every chunk.
        if held <= hold / 2, let channel = context?.channel, let options = channel.syncOptions,
           (try? options.getOption(.autoRead)) == false {
            try? options.setOption(.autoRead, value: true)
        }
        if ended && queue.isEmpty && held == 0 { peer?.close(promise: nil) }
    }

    private func arm() {
        guard timer == nil, let first = queue.first, let loop = context?.eventLoop else { return }
        let target = first.release
        let wake = target - lead.amount
        timer = loop.assumeIsolated().scheduleTask(deadline: wake) { [self] in
            lead.woke(late: .now() - wake)
            release(armedFor: target)
        }
    }
}

/// How late this machine's timers fire, learned as they fire, so the relay arms each one
/// that much early. A VM wakes a timer 150–500 µs after its deadline; uncorrected, each
/// delayed hop added that, and the emulated 40 ms round trip measured 41.1–41.3 ms.
/// Shared by every pipe of a relay, all on its one event loop thread.
final class TimerLead: @unchecked Sendable {
    private(set) var amount: TimeAmount = .zero

    /// A timer fired `late` after the instant it was armed for: move the lead an eighth
    /// of the way toward that, never below zero nor above 2 ms.
    func woke(late: TimeAmount) {
        let next = amount.nanoseconds + (late.nanoseconds - amount.nanoseconds) / 8
        amount = .nanoseconds(min(max(next, 0), 2_000_000))
    }
}

/// Numbers the relay's connections for its trace; used on its one event loop thread.
final class ConnectionCounter: @unchecked Sendable {
    private var last = 0
    func next() -> Int {
        last += 1
        return last
    }
}

/// `HOST:PORT` split at its last colon.
func hostAndPort(_ value: String) throws -> (String, Int) {
    guard let colon = value.lastIndex(of: ":"), let port = Int(value[value.index(after: colon)...]), (0...65535).contains(port)
    else { throw ValidationError("expected HOST:PORT, got \(value)") }
    return (String(value[..<colon]), port)
}
