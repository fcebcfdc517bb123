import AsyncHTTPClient
import NIOCore
// The delegate's requirements name NIOHTTP1's HTTPResponseHead. NIOHTTP1 is built as a
// dependency of async-http-client; Package.swift should list it for HoistEngine too.
import NIOHTTP1
import Synchronization

/// Receives one PUT's answer and reports how many body bytes the connection has taken.
///
/// Progress comes from `didSendRequestPart`, which async-http-client calls when a part's
/// write has completed on the socket, i.e. the kernel has taken those bytes for the
/// connection. That is the closest the client lets us get to "bytes the server has
/// received": it runs ahead of the server by at most the socket's send buffer, never by
/// what is merely queued in the client. (Counting the bytes handed to the body writer, as
/// before, ran ahead by the client's buffers too, and a fast disk made the first second of
/// an upload look like gigabytes per second.)
///
/// The report that would say "everything" (`sent == total`) is held back: the uploader
/// makes it only once the server has answered 2xx, so a bar never sits at 100% while the
/// server is still receiving, storing or fsyncing the last bytes.
final class PutDelegate: HTTPClientResponseDelegate, Sendable {
    typealias Response = HTTPTransport.Answer

    private struct State: Sendable {
        var sent: Int64 = 0
        var throttle: ProgressThrottle
        var status = 0
        var headers: HTTPHeaders = [:]
        var body = ByteBuffer()
    }

    private let state: Mutex<State>
    private let total: Int64
    private let clock: any EngineClock
    private let onProgress: @Sendable (Int64) -> Void
    private let stall: StallWatch
    /// Error answers are small JSON or XML; anything beyond this is not read into memory.
    private static let bodyLimit = 64 << 10

    init(total: Int64, clock: any EngineClock, progressInterval: Duration, stall: StallWatch,
         onProgress: @escaping @Sendable (Int64) -> Void) {
        self.total = total
        self.stall = stall
        self.clock = clock
        self.onProgress = onProgress
        state = Mutex(State(throttle: ProgressThrottle(interval: progressInterval)))
    }

    func didSendRequestHead(task: HTTPClient.Task<Response>, _ head: HTTPRequestHead) {
        stall.started()
    }

    func didSendRequestPart(task: HTTPClient.Task<Response>, _ part: IOData) {
        let (due, whole): (Int64?, Bool) = state.withLock { state in
            state.sent += Int64(part.readableBytes)
            guard state.sent < total else { return (nil, true) }
            return (state.throttle.update(state.sent, now: clock.now()), false)
        }
        if whole { stall.bodySent() } else { stall.moved() }
        if let due { onProgress(due) }
    }

    func didReceiveHead(task: HTTPClient.Task<Response>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        stall.moved()
        state.withLock {
            $0.status = Int(head.status.code)
            $0.headers = head.headers
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Response>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        stall.moved()
        state.withLock { state in
            var part = buffer
            if let slice = part.readSlice(length: min(part.readableBytes, Self.bodyLimit - state.body.readableBytes)) {
                state.body.writeImmutableBuffer(slice)
            }
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didFinishRequest(task: HTTPClient.Task<Response>) throws -> Response {
        state.withLock { HTTPTransport.Answer(status: $0.status, body: $0.body, headers: $0.headers) }
    }
}
