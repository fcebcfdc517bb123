import NIOCore
import NIOHTTP1

/// Marks `Connection: close` on each request whose connection cannot carry another, before
/// Hummingbird sees it (it keeps a connection open unless the request says `close`):
///
/// - `CONNECT` or `Upgrade`: NIO's decoder stops parsing after such a request, waiting for
///   a protocol switch this server never makes, so a request behind it would wait for the
///   header timeout and get a 408;
/// - HTTP/1.0 without `keep-alive`, which closes after each answer by default.
///
/// An HTTP/1.0 request also loses `Expect`: a 1.0 client cannot know `100 Continue`
/// (RFC 9110 §10.1.1), so it gets no interim answer.
///
/// It sits in front of the HTTP types conversion, the last place the request's version is known.
final class ConnectionReuseHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        Self.settle(&head)
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    /// `head` as the rest of the server should see it.
    static func settle(_ head: inout HTTPRequestHead) {
        let switches = head.method == .CONNECT || head.headers.contains(name: "upgrade")
        if switches || !head.isKeepAlive {
            head.headers.replaceOrAdd(name: "connection", value: "close")
        }
        if head.version.major == 1, head.version.minor == 0 {
            head.headers.remove(name: "expect")
        }
    }
}
