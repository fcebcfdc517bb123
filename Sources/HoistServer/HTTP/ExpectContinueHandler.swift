import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// What to do with a request that asked `Expect: 100-continue`.
enum ContinueVerdict: Sendable {
    /// Send `100 Continue` and let the request through.
    case proceed
    /// Answer at once with this final status, JSON body and extra headers (CORS), without
    /// reading the body.
    case reject(HTTPResponse.Status, String, HTTPFields)
}

/// Honours `Expect: 100-continue`, which Hummingbird does not: curl sends it for bodies
/// over 1 MiB and would otherwise wait a second before sending anyway. The request head is
/// judged by `gate` before any body byte is read.
///
/// Answers go out in the order requests came (RFC 9112 §9.3.2), pipelined ones included: a
/// head that asks `Expect` while an earlier request of the connection is still unanswered
/// waits, with everything read after it, until that answer has been written. Judged at
/// once, its `100 Continue` (or its refusal, which closes the connection) went out ahead of
/// the earlier answer, and a refusal lost that answer altogether.
final class ExpectContinueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let gate: @Sendable (HTTPRequest) -> ContinueVerdict
    /// Set after a rejection: the rest of that request is dropped and the connection closes.
    private var discarding = false
    /// Requests passed on whose answers have not ended yet.
    private var unanswered = 0
    /// What was read from an `Expect` head that had to wait on, in order; nil while nothing waits.
    private var held: [HTTPRequestPart]?
    /// A read asked for while parts wait: made once they have gone on, so that a client
    /// cannot pile up more behind them than one read brings.
    private var readDeferred = false

    init(gate: @escaping @Sendable (HTTPRequest) -> ContinueVerdict) {
        self.gate = gate
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if held != nil {
            held?.append(part)
            return
        }
        take(part, context: context)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            unanswered = max(0, unanswered - 1)
            if unanswered == 0, held != nil {
                // After this answer's end is on its way, so that what the held head gets follows it.
                context.write(data, promise: promise)
                release(context: context)
                return
            }
        }
        context.write(data, promise: promise)
    }

    func read(context: ChannelHandlerContext) {
        if held != nil {
            readDeferred = true
            return
        }
        context.read()
    }

    /// One part, in order: a head is judged (or waits), the rest goes on unless discarded.
    private func take(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(var head):
            guard Self.asksContinue(head.headerFields) else {
                unanswered += 1
                context.fireChannelRead(wrapInboundOut(part))
                return
            }
            guard unanswered == 0 else {
                held = [part]
                return
            }
            switch gate(head) {
            case .proceed:
                head.headerFields[.expect] = nil
                unanswered += 1
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
                context.fireChannelRead(wrapInboundOut(.head(head)))
            case .reject(let status, let json, let extra):
                discarding = true
                let body = ByteBuffer(string: json)
                var response = HTTPResponse(status: status, headerFields: extra)
                response.headerFields[.contentType] = "application/json"
                response.headerFields[.contentLength] = String(body.readableBytes)
                response.headerFields[.connection] = "close"
                context.write(wrapOutboundOut(.head(response)), promise: nil)
                context.write(wrapOutboundOut(.body(body)), promise: nil)
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
            }
        case .body, .end:
            if !discarding { context.fireChannelRead(wrapInboundOut(part)) }
        }
    }

    /// Whether `Expect` (a list, in one field or several: RFC 9110 §10.1.1) holds
    /// `100-continue`: a client that sent it twice, or beside an expectation of its own,
    /// waits for the 100 all the same. Other members are let be (417 is a MAY).
    static func asksContinue(_ fields: HTTPFields) -> Bool {
        fields[values: .expect].contains { value in
            value.split(separator: ",").contains { $0.trimmingWhitespace().lowercased() == "100-continue" }
        }
    }

    /// The earlier answers have ended: the waiting parts go on in order, until one of them
    /// must wait in its turn.
    private func release(context: ChannelHandlerContext) {
        guard var waiting = held else { return }
        held = nil
        while !waiting.isEmpty {
            let part = waiting.removeFirst()
            take(part, context: context)
            if held != nil {
                held?.append(contentsOf: waiting)
                break
            }
        }
        // What went on is handed over now, held again behind it or not: the handler behind
        // takes reads at their completion, and with reads deferred none other would come
        // (the request passed on, whose answer would release the rest, waited for ever).
        context.fireChannelReadComplete()
        guard held == nil else { return }
        if readDeferred {
            readDeferred = false
            context.read()
        }
    }
}
