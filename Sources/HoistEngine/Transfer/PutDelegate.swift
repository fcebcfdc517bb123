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
/// received": the socket holds at most `HTTPTransport.unsentLimit` unsent bytes (without
/// that cap Linux let it take megabytes, and on a slow link the count ran that far ahead
/// of the wire, then stood still), never what is merely queued in the client.
///
/// A report the throttle holds back is made when the throttle's interval is over, if no
/// later one came: on a slow link the next write may complete seconds later, and the view
/// must not show an older count meanwhile.
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
        /// A timer will make the report the throttle holds back.
        var flushArmed = false
        /// The whole body went, or the server answered: no more reports from here.
        var ended = false
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
        let (due, whole, arm): (Int64?, Bool, Duration?) = state.withLock { state in
            state.sent += Int64(part.readableBytes)
            guard state.sent < total else {
                // The last held-back count still goes: it is below the total.
                state.ended = true
                return (state.throttle.flush(), true, nil)
            }
            let due = state.throttle.update(state.sent, now: clock.now())
            guard due == nil, !state.flushArmed else { return (due, false, nil) }
            state.flushArmed = true
            return (nil, false, state.throttle.holdsFor)
        }
        if let due { onProgress(due) }
        if whole { stall.bodySent() } else { stall.moved() }
        if let arm {
            task.eventLoop.scheduleTask(in: TimeAmount(arm)) { [self] in flushHeldBack() }
        }
    }

    /// The timer's turn: reports the count the throttle held back, unless the body ended.
    private func flushHeldBack() {
        let due = state.withLock { state -> Int64? in
            state.flushArmed = false
            return state.ended ? nil : state.throttle.emitPending(now: clock.now())
        }
        if let due { onProgress(due) }
    }

    func didReceiveHead(task: HTTPClient.Task<Response>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        stall.moved()
        state.withLock {
            $0.status = Int(head.status.code)
            $0.headers = head.headers
            $0.ended = true
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

    /// A failed PUT reports nothing more: its retry starts the count again, and a held-back
    /// count of this attempt must not come after that.
    func didReceiveError(task: HTTPClient.Task<Response>, _ error: any Error) {
        state.withLock { $0.ended = true }
    }

    func didFinishRequest(task: HTTPClient.Task<Response>) throws -> Response {
        state.withLock { HTTPTransport.Answer(status: $0.status, body: $0.body, headers: $0.headers) }
    }
}
