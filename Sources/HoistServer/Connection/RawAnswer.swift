import HTTPTypes
import NIOCore

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
