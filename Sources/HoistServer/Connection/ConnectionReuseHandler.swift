import NIOCore
import NIOHTTP1

/// Marks `Connection: close` on each request whose connection cannot carry another, before
/// Hummingbird sees it (it keeps a connection open unless the request says `close`):
///
/// - `CONNECT` or `Upgrade`: NIO's decoder stops parsing after such a request, waiting for
///   a protocol switch this server never makes, so a request behind it would wait for the
///   header timeout and get a 408;
/// - a `Transfer-Encoding` other than `chunked`: it is answered 501 (`TransferCoding`),
///   and the body it frames cannot be told from the next request;
/// - HTTP/1.0 with any `Transfer-Encoding`, which 1.0 does not have: a 1.0 hop in front
///   may have framed the body otherwise (RFC 9112 §6.1 says to close after such a request,
///   or what follows its body could be a request smuggled past that hop);
/// - HTTP/1.0 without `keep-alive`, which closes after each answer by default.
///
/// The answer says so: `Connection: close` where the connection then closes, and
/// `Connection: keep-alive` to an HTTP/1.0 client that asked to keep it.
///
/// An HTTP/1.0 request also loses `Expect`: a 1.0 client cannot know `100 Continue`
/// (RFC 9110 §10.1.1), so it gets no interim answer.
///
/// It sits in front of the HTTP types conversion, the last place the request's version is known.
final class ConnectionReuseHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// What each request's answer must say about the connection, oldest first.
    enum Promise: Equatable { case close, keepAlive, none }
    private var promises: [Promise] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        promises.append(Self.settle(&head))
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // An interim answer (100 Continue) is not the request's answer.
        guard case .head(var head) = unwrapOutboundIn(data), head.status.code >= 200, !promises.isEmpty else {
            context.write(data, promise: promise)
            return
        }
        switch promises.removeFirst() {
        case .close: head.headers.replaceOrAdd(name: "connection", value: "close")
        // Never over a `close` said behind it (an answer given before its body arrived).
        case .keepAlive where !head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "close" }:
            head.headers.replaceOrAdd(name: "connection", value: "keep-alive")
        case .keepAlive: break
        case .none: break
        }
        context.write(wrapOutboundOut(.head(head)), promise: promise)
    }

    /// `head` as the rest of the server should see it, and what its answer must say.
    static func settle(_ head: inout HTTPRequestHead) -> Promise {
        let http10 = head.version.major == 1 && head.version.minor == 0
        if http10 { head.headers.remove(name: "expect") }
        let switches = head.method == .CONNECT || head.headers.contains(name: "upgrade")
        let unframed = TransferCoding.refusal(of: head.headers["transfer-encoding"]) != nil
            || (http10 && head.headers.contains(name: "transfer-encoding"))
        if switches || unframed || !head.isKeepAlive {
            head.headers.replaceOrAdd(name: "connection", value: "close")
            return .close
        }
        return http10 ? .keepAlive : .none
    }
}
