import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

extension ConnectionWatchdog {
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

        /// A request head the decoder cannot parse gets a JSON 400 like any other bad
        /// input, instead of an empty one: at once when nothing is being answered, after
        /// the answers still going out when it was pipelined behind them. A body that
        /// breaks mid-request fails its route, which answers in its dialect.
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
                // request order, so the 400 waits for theirs (Hummingbird's own would be
                // written after them, but empty: no JSON, no CORS).
                refusedBehindAnswers = true
            case .body:
                context.fireErrorCaught(error)
            }
        }

        /// Whether `Connection` names the `close` option (a comma-separated list of tokens).
        private static func saysClose(_ fields: HTTPFields) -> Bool {
            fields[values: .connection].contains { value in
                value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == "close" }
            }
        }

        /// The JSON 400 for a request the decoder refused, then the connection's close:
        /// at once when nothing else was sent; `lingering` behind answers to a pipeline,
        /// whose client may still be sending (a reset could take those answers with it).
        private func refuse(_ context: ChannelHandlerContext, lingering: Bool = false) {
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
            if lingering {
                Self.closeLingering(context, after: wrapOutboundOut(.end(nil)), promise: nil, linger: watchdog.timer.limits.linger)
                return
            }
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        }

        /// A full close asked for behind the codec (Hummingbird quiescing, its error path)
        /// waits at the front of the pipeline for the answers queued before it: what arrives
        /// meanwhile is dropped, never carried out, as it could get no answer.
        func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
            if mode == .all { discarding = true }
            context.close(mode: mode, promise: promise)
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
                    refuse(context, lingering: true)
                    return
                }
            default:
                break
            }
            context.write(data, promise: promise)
        }
    }
}
