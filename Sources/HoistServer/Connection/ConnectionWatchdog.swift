import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Holds one connection to `ConnectionTimer`'s deadlines. Two handlers feed it: one in
/// front of the HTTP decoder sees raw bytes (a head that trickles in), one behind it sees
/// request parts and response ends. Both live on the channel's event loop.
final class ConnectionWatchdog {
    private(set) var timer: ConnectionTimer
    private var scheduled: Scheduled<Void>?
    private var scheduledFor: NIODeadline?
    private var rawContext: ChannelHandlerContext?
    private var partContext: ChannelHandlerContext?
    /// Set once a stalled body was failed: the route answers 408, then the connection goes.
    private var failedBody = false
    /// What the client had acknowledged of the output when it was last seen taking some
    /// (``AcknowledgedBytes``): the send timeout closes only a client that took none since.
    private var acknowledged: UInt64?
    /// The path of the request line that began the latest request read from idle, so that
    /// a head the decoder refuses (two `Content-Length`s) is answered in its path's dialect.
    private(set) var requestPath: String?

    /// Whose pages may read the answers given here, before any route (see `CORSPolicy`).
    let cors: CORSPolicy

    init(limits: ConnectionLimits, cors: CORSPolicy) {
        timer = ConnectionTimer(limits: limits, now: .now())
        self.cors = cors
    }

    /// The handler for the front of the pipeline (raw bytes).
    func makeRawHandler() -> RawHandler { RawHandler(self) }

    /// The handler for just behind the HTTP/1 codec (request and response parts).
    func makePartHandler() -> PartHandler { PartHandler(self) }

    private func update(_ change: (inout ConnectionTimer) -> Void) {
        change(&timer)
        arm()
    }

    /// Schedules a check at the deadline, unless one is already due no later. Progress
    /// only moves deadlines later, so a check that fires early just re-arms: no
    /// rescheduling per body chunk.
    private func arm() {
        guard let context = rawContext, let deadline = timer.deadline else { return }
        if let scheduledFor, scheduledFor <= deadline { return }
        scheduled?.cancel()
        scheduledFor = deadline
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        scheduled = context.eventLoop.scheduleTask(deadline: deadline) { loopBound.value.fire() }
    }

    private func fire() {
        scheduled = nil
        scheduledFor = nil
        guard let context = rawContext else { return }
        let expiry = timer.expiry(at: .now())
        switch expiry {
        case nil:
            arm()
        case .idle:
            context.close(promise: nil)
        case .sample, .send:
            // A look at what the client has taken of the output (see ``AcknowledgedBytes``):
            // more than at the last look, the wait counts from now; past the send timeout
            // with nothing more taken, the connection is closed.
            let closing = expiry == .send
            let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
            AcknowledgedBytes.of(context.channel).whenSuccess { count in
                let watchdog = loopBound.value
                let moved = count.map { count in watchdog.acknowledged.map { count > $0 } ?? false } ?? false
                if closing, !moved {
                    watchdog.rawContext?.close(promise: nil)
                    return
                }
                if let count, moved || watchdog.acknowledged == nil { watchdog.acknowledged = count }
                watchdog.update { $0.outputSampled(at: .now(), moved: moved) }
            }
        case .head:
            RawAnswer.send(.requestTimeout, code: "request_timeout",
                           message: "the request head did not arrive within the header timeout", cors: cors, on: context)
        case .body:
            guard !failedBody else {
                context.close(promise: nil)
                return
            }
            failedBody = true
            partContext?.fireErrorCaught(RequestTimeout())
            // The route now answers 408; if it cannot within one more body timeout, close.
            let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
            scheduled = context.eventLoop.scheduleTask(in: timer.limits.bodyTimeout) { loopBound.value.rawContext?.close(promise: nil) }
        }
    }

    private func stop() {
        scheduled?.cancel()
        scheduled = nil
        scheduledFor = nil
    }

    /// Raw bytes in: the first byte of a request starts its header timeout.
    final class RawHandler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        private let watchdog: ConnectionWatchdog

        init(_ watchdog: ConnectionWatchdog) { self.watchdog = watchdog }

        func handlerAdded(context: ChannelHandlerContext) {
            watchdog.rawContext = context
            watchdog.arm()
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            watchdog.stop()
            watchdog.rawContext = nil
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let now = NIODeadline.now()
            if watchdog.timer.phase == .idle { watchdog.requestPath = Self.requestPath(in: unwrapInboundIn(data)) }
            watchdog.update { $0.bytesArrived(at: now) }
            context.fireChannelRead(data)
        }

        /// The target's path in the request line at the start of `bytes` (`PUT /storage/upl_x/a.jpg?… HTTP/1.1`),
        /// if the line is there whole (a request line longer than the first read's 2 KiB gives none).
        static func requestPath(in bytes: ByteBuffer) -> String? {
            let view = bytes.readableBytesView.prefix(2048)
            guard let end = view.firstIndex(of: UInt8(ascii: "\r")) ?? view.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            let parts = view[view.startIndex..<end].split(separator: UInt8(ascii: " "))
            guard parts.count == 3, let target = parts.dropFirst().first, target.first == UInt8(ascii: "/") else { return nil }
            return String(decoding: target.prefix { $0 != UInt8(ascii: "?") }, as: UTF8.self)
        }

        func channelInactive(context: ChannelHandlerContext) {
            watchdog.stop()
            context.fireChannelInactive()
        }

        /// The output crossed a water mark: a client that stops reading an answer has until
        /// the send timeout to take some of it.
        func channelWritabilityChanged(context: ChannelHandlerContext) {
            if context.channel.isWritable {
                watchdog.update { $0.outputFlowed() }
            } else {
                let now = NIODeadline.now()
                if watchdog.timer.isOutputFlowing {
                    // Where the client's reading stands as the wait begins.
                    let loopBound = NIOLoopBound(watchdog, eventLoop: context.eventLoop)
                    AcknowledgedBytes.of(context.channel).whenSuccess { loopBound.value.acknowledged = $0 }
                }
                watchdog.update { $0.outputBlocked(at: now) }
            }
            context.fireChannelWritabilityChanged()
        }
    }

    /// Request parts in, response parts out.
    final class PartHandler: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPRequestPart
        typealias InboundOut = HTTPRequestPart
        typealias OutboundIn = HTTPResponsePart
        typealias OutboundOut = HTTPResponsePart
        private let watchdog: ConnectionWatchdog
        /// Requests whose body has ended, and final answers begun, on this connection.
        /// Answers go in request order, so the answer begun is to request `answersBegun`.
        private var requestsEnded = 0
        private var answersBegun = 0
        /// An answer left before its request's body had all arrived (a 401, 403, 408 or
        /// 413 decided early): the connection closes after it, instead of reading the rest
        /// of a body nobody wants (Hummingbird would drain it whole, and answer a broken one
        /// a second time).
        private var closeAfterAnswer = false
        /// A request arrived after such an answer: it, and all that follows, is read and
        /// dropped, never carried out (RFC 9112 §9.6); a client that pipelined it got no
        /// answer, so nothing may have happened.
        private var discarding = false
        /// The decoder refused a request pipelined behind others still being answered: its
        /// 400 goes once their answers have ended, unless one of them said the connection
        /// closes (nothing may follow that answer).
        private var refusedBehindAnswers = false
        /// A request or answer on this connection said `Connection: close` (a request
        /// says so once `ConnectionReuseHandler` has judged it): it is the last answer.
        private var saidClose = false

        init(_ watchdog: ConnectionWatchdog) { self.watchdog = watchdog }

        func handlerAdded(context: ChannelHandlerContext) { watchdog.partContext = context }

        func handlerRemoved(context: ChannelHandlerContext) { watchdog.partContext = nil }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let part = unwrapInboundIn(data)
            if case .head = part, closeAfterAnswer { discarding = true }
            guard !discarding else { return }
            let now = NIODeadline.now()
            switch part {
            case .head(let head):
                if Self.saysClose(head.headerFields) { saidClose = true }
                watchdog.update { $0.headArrived(at: now) }
            case .body: watchdog.update { $0.bodyArrived(at: now) }
            case .end:
                requestsEnded += 1
                watchdog.update { $0.requestEnded() }
            }
            context.fireChannelRead(data)
        }

        /// A request head the decoder cannot parse gets a JSON 400 like any other bad
        /// input, instead of an empty one; a body that breaks mid-request fails its route,
        /// which answers in its dialect.
        /// Writes the answer's end, then closes the way RFC 9112 section 9.6 asks: output
        /// first (the client reads the whole answer and end of file while its body may still
        /// be on the way), the rest after `linger` (``ConnectionLimits/linger``). Closed at once with the client's bytes
        /// unread, the kernel would reset the connection, and a reset can take the answer
        /// with it before the client reads it.
        private static func closeLingering(_ context: ChannelHandlerContext, after end: NIOAny, promise: EventLoopPromise<Void>?,
                                           linger: TimeAmount) {
            let channel = context.channel
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.whenComplete { _ in
                channel.close(mode: .output).whenComplete { result in
                    if case .failure = result { channel.close(promise: nil) }
                }
                channel.eventLoop.scheduleTask(in: linger) { channel.close(promise: nil) }
            }
            if let promise { written.futureResult.cascade(to: promise) }
            context.writeAndFlush(end, promise: written)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            // Answered already, and closing: what the rest of the body does is no one's concern.
            // Refused behind answers still going out: what the decoder says of the bytes
            // after the refused head is no one's concern either.
            if closeAfterAnswer || refusedBehindAnswers { return }
            guard error is HTTPParserError else {
                context.fireErrorCaught(error)
                return
            }
            switch watchdog.timer.phase {
            case .idle, .head:
                refuse(context)
            case .busy:
                // Pipelined behind requests whose answers have not all gone: answers go in
                // request order, so the 400 waits for theirs (NIO's own would be written
                // after them, but empty: no JSON, no CORS).
                refusedBehindAnswers = true
            case .body:
                context.fireErrorCaught(error)
            }
        }

        private static func saysClose(_ fields: HTTPFields) -> Bool {
            fields[values: .connection].contains { $0.lowercased().contains("close") }
        }

        /// The JSON 400 for a request the decoder refused, then the connection's close.
        private func refuse(_ context: ChannelHandlerContext) {
            let dialect = watchdog.requestPath.map(Dialect.forPath) ?? .lightfield
            let body = ByteBuffer(string: dialect.errorBody(.invalidRequest("the request is not valid HTTP/1.1")))
            var head = HTTPResponse(status: .badRequest, headerFields: [
                .contentType: "application/json", .contentLength: String(body.readableBytes), .connection: "close",
            ])
            // A browser's request can fail here too (a header past the decoder's limits:
            // cookies, a long token), and its page must be able to read why. No head, so no
            // `Origin`: what the policy gives any origin.
            head.headerFields.append(contentsOf: watchdog.cors.headers(origin: nil))
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(body)), promise: nil)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            switch unwrapOutboundIn(data) {
            case .head(var head) where head.status.kind != .informational:
                defer { answersBegun += 1 }
                if Self.saysClose(head.headerFields) { saidClose = true }
                guard requestsEnded <= answersBegun || watchdog.failedBody else { break }
                closeAfterAnswer = true
                head.headerFields[.connection] = "close"
                context.write(wrapOutboundOut(.head(head)), promise: promise)
                return
            case .end:
                let now = NIODeadline.now()
                watchdog.update { $0.responseEnded(at: now) }
                if closeAfterAnswer || watchdog.failedBody {
                    Self.closeLingering(context, after: data, promise: promise, linger: watchdog.timer.limits.linger)
                    return
                }
                if refusedBehindAnswers, !saidClose, watchdog.timer.phase != .busy {
                    context.write(data, promise: promise)
                    refuse(context)
                    return
                }
            default:
                break
            }
            context.write(data, promise: promise)
        }
    }
}

/// A whole HTTP/1.1 answer written as bytes at the front of the pipeline, for moments
/// with no request to answer through the router: a head that never completed, a
/// connection over the cap. The connection closes after it.
enum RawAnswer {
    /// With the headers `cors` gives any origin (the request's is unknown here).
    static func send(_ status: HTTPResponse.Status, code: String, message: String, cors: CORSPolicy, on context: ChannelHandlerContext) {
        let body = #"{"error":{"type":"\#(code)","message":"\#(message)"}}"#
        let access = cors.headers(origin: nil).map { "\($0.name.canonicalName): \($0.value)\r\n" }.joined()
        let head = "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\ncontent-type: application/json\r\n"
            + "content-length: \(body.utf8.count)\r\nconnection: close\r\n" + access + "\r\n"
        let channel = context.channel
        context.writeAndFlush(NIOAny(ByteBuffer(string: head + body))).whenComplete { _ in channel.close(promise: nil) }
    }
}
