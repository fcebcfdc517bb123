import NIOCore
import NIOPosix
import Synchronization

/// A loopback TCP proxy in front of a test server that injects faults on demand:
/// an HTTP error status instead of forwarding a request, or a connection cut mid-body.
///
/// Faults fire on the first client chunk containing a marker (by default `PUT `), so a
/// test can break uploads while create and complete calls pass. Answers from upstream have
/// `127.0.0.1:<upstream port>` rewritten to the proxy's port (same length, ephemeral ports
/// all have five digits), so signed URLs the server hands out route through the proxy too.
public final class FaultProxy: Sendable {
    public enum Fault: Sendable, Equatable {
        /// Answer with this HTTP status and close, without forwarding.
        case status(Int)
        /// Forward this many bytes of the matching request, then cut both connections.
        case dropAfter(bytes: Int)
        /// Forward the request with the first byte of its body flipped (the server stores
        /// bytes that no longer match the client's MD5).
        case corruptBody
        /// Answer with this status and S3's XML error document (`<Error><Code>`), and close.
        /// `extra`: more elements of `<Error>` (S3's `<ServerTime>` of a skew refusal).
        case s3Error(status: Int, code: String, message: String, extra: String = "")
        /// Forward the request whole, then cut the client's connection when upstream
        /// answers it: the request took effect, and the client never learns it did.
        case loseAnswer
        /// Forward this many bytes of the matching request, then stop reading from the
        /// client and never answer, the connection left open: a peer that hung (stopped,
        /// or a link gone without a reset). The client's socket buffers fill and it can
        /// write no more.
        case stallAfter(bytes: Int)
        /// Answer with this status, content type and body, and close, without forwarding
        /// (an HTML page a proxy or captive portal puts in the store's place).
        case answer(status: Int, contentType: String, body: String)

        /// The answer the proxy gives itself, not forwarding (`.status`, `.s3Error`, `.answer`).
        var cannedAnswer: (status: Int, contentType: String, body: String)? {
            switch self {
            case .status(let code):
                (code, "application/json", #"{"error":{"type":"injected","message":"injected fault"},"status":false,"message":"injected fault"}"#)
            case .s3Error(let code, let name, let message, let extra):
                (code, "application/xml",
                 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>\(name)</Code><Message>\(message)</Message>\(extra)<RequestId>injected</RequestId></Error>")
            case .answer(let code, let contentType, let body):
                (code, contentType, body)
            case .dropAfter, .corruptBody, .loseAnswer, .stallAfter:
                nil
            }
        }
    }

    struct Rule: Sendable {
        var fault: Fault
        var marker: String
        var remaining: Int
    }

    private let channel: any Channel
    private let rules = Mutex<[Rule]>([])
    private let answerDelay = Mutex<TimeAmount?>(nil)
    private let fired = Mutex(0)
    private let lines = Mutex<[String]>([])
    private let answered = Mutex<[(line: String, status: Int)]>([])
    private let closed = Mutex<[ClosedConnection]>([])
    private let answerRewrites = Mutex<[([UInt8], [UInt8])]>([])
    /// `http://127.0.0.1:PORT` of the proxy.
    public let baseURL: String

    /// Runs `body` with a proxy in front of `upstream` and awaits its stop, even when `body` throws.
    @discardableResult
    public static func with<T>(upstream: String, _ body: (FaultProxy) async throws -> T) async throws -> T {
        try await withAwaitedCleanup(try await start(upstream: upstream), cleanup: { try? await $0.stop() }, body)
    }

    /// Starts a proxy in front of `upstream` (`http://127.0.0.1:PORT`); the caller must await `stop()`.
    public static func start(upstream: String) async throws -> FaultProxy {
        guard let portText = upstream.split(separator: ":").last, let upstreamPort = Int(portText.filter(\.isNumber)) else {
            throw ChannelError.badInterfaceAddressFamily
        }
        let box = ProxyBox()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in
                ClientBootstrap(group: inbound.eventLoop).connect(host: "127.0.0.1", port: upstreamPort).flatMapThrowing { outbound in
                    let proxy = box.proxy
                    let rewrite = proxy.map { (Array("127.0.0.1:\(upstreamPort)".utf8), Array("127.0.0.1:\($0.port)".utf8)) }
                    let exchanges = ExchangeLog()
                    try outbound.pipeline.syncOperations.addHandler(
                        Relay(peer: inbound, proxy: nil, rewrite: rewrite, answers: proxy.map { (exchanges, $0) }))
                    try inbound.pipeline.syncOperations.addHandler(
                        Relay(peer: outbound, proxy: proxy, rewrite: nil, requests: exchanges))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let proxy = FaultProxy(channel: channel)
        box.proxy = proxy
        return proxy
    }

    private init(channel: any Channel) {
        self.channel = channel
        baseURL = "http://127.0.0.1:\(channel.localAddress?.port ?? 0)"
    }

    var port: Int { channel.localAddress?.port ?? 0 }

    /// Holds every answer from upstream for `delay` before passing it on (and a close
    /// after the answers before it): a link with that much more round trip. Set it before
    /// the first request; the order of what comes back is kept.
    public func delayAnswers(by delay: TimeAmount) { answerDelay.withLock { $0 = delay } }

    var delay: TimeAmount? { answerDelay.withLock { $0 } }

    /// Arms `fault` for the next `times` requests whose first chunk contains `marker`.
    public func inject(_ fault: Fault, on marker: String = "PUT ", times: Int = 1) {
        rules.withLock { $0.append(Rule(fault: fault, marker: marker, remaining: times)) }
    }

    /// Drops every armed fault: what comes next is forwarded as it is (a store back).
    public func clearFaults() { rules.withLock { $0.removeAll() } }

    /// Replaces `text` with `replacement` (of the same length, so that no `Content-Length`
    /// changes) in every answer from upstream from now on: what moto fixes and a real store
    /// does not (moto dates every multipart upload `2010-11-10T20:48:33.000Z`).
    public func rewriteAnswers(_ text: String, with replacement: String) {
        precondition(text.utf8.count == replacement.utf8.count, "a rewrite keeps the answer's length")
        answerRewrites.withLock { $0.append((Array(text.utf8), Array(replacement.utf8))) }
    }

    var rewrites: [([UInt8], [UInt8])] { answerRewrites.withLock { $0 } }

    /// The request lines seen so far (`PUT /bucket/key?partNumber=2&uploadId=... HTTP/1.1`),
    /// faulted ones included.
    public var requestLines: [String] { lines.withLock { $0 } }

    /// Requests the upstream answered, with the status of its answer (faulted ones are not
    /// here: the proxy answered those itself).
    public var answeredRequests: [(line: String, status: Int)] { answered.withLock { $0 } }

    /// S3 part numbers in the PUT lines of `lines` (`PUT /b/k?partNumber=3&uploadId=…`).
    public static func partNumbers(_ lines: some Sequence<String>) -> [Int] {
        lines.filter { $0.hasPrefix("PUT ") }.compactMap { line in
            guard let range = line.range(of: "partNumber=") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
    }

    /// Part numbers the upstream answered 200 to, in order: each part the store took.
    public var storedPartNumbers: [Int] { Self.partNumbers(answeredRequests.filter { $0.status == 200 }.map(\.line)) }

    func recordAnswer(_ line: String, status: Int) { answered.withLock { $0.append((line, status)) } }

    /// A client connection that ended: the request lines it carried and when it closed.
    public struct ClosedConnection: Sendable {
        public var requestLines: [String]
        public var at: ContinuousClock.Instant
    }

    /// Client connections that ended so far, in the order they closed: when a client cut a
    /// request (a PUT it stopped) is when its connection closed.
    public var closedConnections: [ClosedConnection] { closed.withLock { $0 } }

    func recordClosed(_ lines: [String]) {
        let now = ContinuousClock.now
        closed.withLock { $0.append(ClosedConnection(requestLines: lines, at: now)) }
    }

    /// The request line `chunk` starts, if it starts one.
    static func requestLine(_ chunk: ByteBuffer) -> String? {
        // Most chunks are body bytes: only one that starts with a method is read as text.
        guard let start = chunk.getBytes(at: chunk.readerIndex, length: min(7, chunk.readableBytes)),
              methods.contains(where: { start.starts(with: $0) })
        else { return nil }
        let head = text(chunk, prefix: 2048)
        guard let line = head.split(separator: "\r\n", maxSplits: 1).first, line.hasSuffix(" HTTP/1.1") else { return nil }
        return String(line)
    }

    private static let methods = ["GET ", "PUT ", "POST ", "DELETE ", "HEAD "].map { Array($0.utf8) }

    /// The first `prefix` bytes of `chunk` as text, every byte outside ASCII read as `?`.
    /// Body bytes are not UTF-8: decoding them with repair throws inside the standard
    /// library, and under swift-testing every throw captures a backtrace on the event loop
    /// (12 % of a full run's CPU went there). Request lines and markers are ASCII.
    static func text(_ chunk: ByteBuffer, prefix: Int) -> String {
        String(decoding: chunk.readableBytesView.prefix(prefix).map { $0 < 0x80 ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }

    /// Records `chunk`'s first line when it starts a request; always true (it reads as a
    /// condition in the relay's `if`).
    func noting(_ chunk: ByteBuffer) -> Bool {
        note(chunk)
        return true
    }

    private func note(_ chunk: ByteBuffer) {
        guard let line = Self.requestLine(chunk) else { return }
        lines.withLock { $0.append(line) }
    }

    /// How many faults fired so far.
    public var faultsFired: Int { fired.withLock { $0 } }

    /// The fault to apply to a client chunk, if one is armed for it (consumes it).
    func fault(for chunk: ByteBuffer) -> Fault? {
        let hit: Fault? = rules.withLock { rules in
            // Read as text only while a fault is armed: most chunks are body bytes.
            guard rules.contains(where: { $0.remaining > 0 }) else { return nil }
            let text = Self.text(chunk, prefix: 512)
            guard let index = rules.firstIndex(where: { $0.remaining > 0 && text.contains($0.marker) }) else { return nil }
            rules[index].remaining -= 1
            return rules[index].fault
        }
        if hit != nil { fired.withLock { $0 += 1 } }
        return hit
    }

    public func stop() async throws {
        // A stalled pair reads nothing, so it would never see its client go: closed here,
        // or the server would wait out its body timeout for the rest of the request.
        for held in stalled.withLock({ $0 }) { held.close(promise: nil) }
        try await channel.close()
    }

    /// The connections a `stallAfter` fault left hanging.
    private let stalled = Mutex<[any Channel]>([])

    fileprivate func holdStalled(_ channels: [any Channel]) { stalled.withLock { $0 += channels } }
}

/// Lets the child initializer reach the proxy created after the bind.
private final class ProxyBox: Sendable {
    private let value = Mutex<FaultProxy?>(nil)
    var proxy: FaultProxy? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}

/// The requests forwarded on one connection, oldest first, until their answers come back
/// (HTTP/1.1 without pipelining: answers come in request order).
private final class ExchangeLog: Sendable {
    private let pending = Mutex<[String]>([])
    private let losing = Mutex(false)
    func sent(_ line: String) { pending.withLock { $0.append(line) } }
    func answered() -> String? { pending.withLock { $0.isEmpty ? nil : $0.removeFirst() } }
    /// The next answer on this connection is to be lost (`Fault.loseAnswer`).
    func loseNextAnswer() { losing.withLock { $0 = true } }
    func takeLoss() -> Bool {
        losing.withLock { lose in
            defer { lose = false }
            return lose
        }
    }
}

/// Copies bytes to the peer channel, applying faults (client side) or the URL rewrite (server
/// side), and pairs each forwarded request with its answer's status.
private final class Relay: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let peer: any Channel
    let proxy: FaultProxy?
    let rewrite: ([UInt8], [UInt8])?
    /// Client side: where forwarded requests are noted.
    let requests: ExchangeLog?
    /// Server side: where answers are matched, and the proxy that records them.
    let answers: (ExchangeLog, FaultProxy)?
    private var cut = false
    private var corruptNext = false
    /// Client side: every request line this connection carried.
    private var seenLines: [String] = []

    init(peer: any Channel, proxy: FaultProxy?, rewrite: ([UInt8], [UInt8])?, requests: ExchangeLog? = nil,
         answers: (ExchangeLog, FaultProxy)? = nil) {
        self.peer = peer
        self.proxy = proxy
        self.rewrite = rewrite
        self.requests = requests
        self.answers = answers
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !cut else { return }
        var buffer = unwrapInboundIn(data)
        if let (log, proxy) = answers {
            // A final answer's status line (1xx are interim and answer nothing yet).
            let head = FaultProxy.text(buffer, prefix: 16)
            if head.hasPrefix("HTTP/1.1 "), let status = Int(head.dropFirst(9).prefix(3)), status >= 200, let line = log.answered() {
                proxy.recordAnswer(line, status: status)
                if log.takeLoss() {
                    cut = true
                    peer.close(promise: nil)
                    context.close(promise: nil)
                    return
                }
            }
        }
        if corruptNext, buffer.readableBytes > 0 {
            corruptNext = false
            Self.flip(&buffer, at: buffer.readerIndex)
        } else if let proxy, proxy.noting(buffer), let fault = proxy.fault(for: buffer) {
            switch fault {
            case .corruptBody:
                let bytes = Array(buffer.readableBytesView)
                if let end = bytes.indices.dropLast(3).first(where: { bytes[$0..<$0 + 4].elementsEqual([13, 10, 13, 10]) }),
                   end + 4 < bytes.count {
                    Self.flip(&buffer, at: buffer.readerIndex + end + 4)
                } else {
                    corruptNext = true
                }
            case .status, .s3Error, .answer:
                // Answered here, not forwarded, and closed.
                guard let (code, contentType, body) = fault.cannedAnswer else { break }
                cut = true
                let head = "HTTP/1.1 \(code) Injected\r\ncontent-type: \(contentType)\r\ncontent-length: \(body.utf8.count)\r\nconnection: close\r\n\r\n"
                context.writeAndFlush(NIOAny(ByteBuffer(string: head + body))).whenComplete { _ in context.close(promise: nil) }
                peer.close(promise: nil)
                return
            case .loseAnswer:
                requests?.loseNextAnswer()
            case .stallAfter(let bytes):
                cut = true
                if let slice = buffer.readSlice(length: min(bytes, buffer.readableBytes)) { peer.writeAndFlush(slice, promise: nil) }
                context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
                proxy.holdStalled([context.channel, peer])
                return
            case .dropAfter(let bytes):
                cut = true
                if let slice = buffer.readSlice(length: min(bytes, buffer.readableBytes)) { peer.writeAndFlush(slice, promise: nil) }
                peer.close(promise: nil)
                context.close(promise: nil)
                return
            }
        }
        if let requests, let line = FaultProxy.requestLine(buffer) {
            requests.sent(line)
            seenLines.append(line)
        }
        if let (from, to) = rewrite { buffer = Self.replace(from, with: to, in: buffer) }
        if let (_, proxy) = answers {
            for (from, to) in proxy.rewrites { buffer = Self.replace(from, with: to, in: buffer) }
        }
        if let delay = answerDelay {
            // Same delay, later deadline: scheduled tasks keep the order the bytes came in.
            let peer = peer, held = buffer
            context.eventLoop.scheduleTask(in: delay) { peer.writeAndFlush(held, promise: nil) }
            return
        }
        peer.writeAndFlush(buffer, promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let proxy { proxy.recordClosed(seenLines) }
        if let delay = answerDelay {
            let peer = peer
            context.eventLoop.scheduleTask(in: delay) { peer.close(promise: nil) }
        } else {
            peer.close(promise: nil)
        }
        context.fireChannelInactive()
    }

    /// Upstream's answers are held this long (`FaultProxy.delayAnswers(by:)`).
    private var answerDelay: TimeAmount? { answers?.1.delay }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private static func flip(_ buffer: inout ByteBuffer, at index: Int) {
        if let byte = buffer.getInteger(at: index, as: UInt8.self) { buffer.setInteger(byte ^ 0xFF, at: index) }
    }

    private static func replace(_ from: [UInt8], with to: [UInt8], in buffer: ByteBuffer) -> ByteBuffer {
        guard from.count == to.count, from != to else { return buffer }
        var bytes = Array(buffer.readableBytesView)
        var index = 0
        var changed = false
        while index + from.count <= bytes.count {
            if bytes[index] == from[0], Array(bytes[index..<index + from.count]) == from {
                bytes.replaceSubrange(index..<index + from.count, with: to)
                changed = true
                index += from.count
            } else {
                index += 1
            }
        }
        return changed ? ByteBuffer(bytes: bytes) : buffer
    }
}
