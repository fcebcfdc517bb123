import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// `hoist-bench sink`: an HTTP/1.1 server that reads any request body, discards it and
/// answers 200. Behind a relay of its own on the shaped link, `curl -T` to it measures
/// what the link carries when nothing at the far end stores, hashes or fsyncs: the
/// capacity the WAN rows are judged against.
struct DiscardSink: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sink", abstract: "Answer every HTTP request 200, discarding its body (for --wan).", shouldDisplay: false)

    @Option(help: "HOST:PORT to listen on.") var listen: String

    func run() async throws {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
            throw ValidationError("expected HOST:PORT, got \(listen)")
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: false)
                    try channel.pipeline.syncOperations.addHandler(DiscardHandler())
                }
            }
            .bind(host: String(listen[..<colon]), port: port).get()
        FileHandle.standardOutput.write(Data("sink on \(listen)\n".utf8))
        try await server.closeFuture.get()
    }
}

/// Answers each request once its body has been read, with the byte count as the body.
private final class DiscardHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private var keepAlive = true
    private var version = HTTPVersion.http1_1
    private var received = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
            version = head.version
            received = 0
            // curl sends `Expect: 100-continue` with bodies over 1 MiB and waits a second for it.
            if head.headers["expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: .continue))), promise: nil)
            }
        case .body(let bytes):
            received += bytes.readableBytes
        case .end:
            let body = ByteBuffer(string: "\(received)\n")
            var headers = HTTPHeaders([("Content-Length", String(body.readableBytes)), ("Content-Type", "text/plain")])
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if !keepAlive { done.assumeIsolated().whenComplete { [context] _ in context.close(promise: nil) } }
        }
    }
}
