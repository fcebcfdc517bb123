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
final class ExpectContinueHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    private let gate: @Sendable (HTTPRequest) -> ContinueVerdict
    /// Set after a rejection: the rest of that request is dropped and the connection closes.
    private var discarding = false

    init(gate: @escaping @Sendable (HTTPRequest) -> ContinueVerdict) {
        self.gate = gate
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch part {
        case .head(var head):
            guard head.headerFields[.expect]?.lowercased() == "100-continue" else {
                context.fireChannelRead(data)
                return
            }
            switch gate(head) {
            case .proceed:
                head.headerFields[.expect] = nil
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
            if !discarding { context.fireChannelRead(data) }
        }
    }
}
