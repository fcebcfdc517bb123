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
    var partContext: ChannelHandlerContext?
    /// Set once a stalled body was failed: the route answers 408, then the connection goes.
    private(set) var failedBody = false
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

    func update(_ change: (inout ConnectionTimer) -> Void) {
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

    /// Where the client's reading stands as a wait for it begins.
    private func noteAcknowledged(_ channel: any Channel) {
        let loopBound = NIOLoopBound(self, eventLoop: channel.eventLoop)
        AcknowledgedBytes.of(channel).whenSuccess { loopBound.value.acknowledged = $0 }
    }

    private func stop() {
        scheduled?.cancel()
        scheduled = nil
        scheduledFor = nil
    }

    /// Raw bytes in: the first byte of a request starts its header timeout. Bytes out:
    /// a client's end of file does not cut short what it is owed (``close(context:mode:promise:)``).
    final class RawHandler: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        typealias OutboundIn = IOData
        typealias OutboundOut = IOData
        private let watchdog: ConnectionWatchdog
        /// The input was shut: by the client's end of file (it sends nothing more, and may
        /// still be reading), or by the server itself.
        private var inputClosed = false
        /// The server shut the input (Hummingbird does when a shutdown's grace has run out):
        /// the close that follows is not held for the output.
        private var inputClosedHere = false

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

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case .inputClosed? = event as? ChannelEvent { inputClosed = true }
            context.fireUserInboundEventTriggered(event)
        }

        /// Closing the output of a connection its client half-closed waits until what was
        /// written before has gone to the socket. Hummingbird ends its request loop at the
        /// client's end of file and closes the output, and NIO turns that close into a full
        /// one when the input is closed already, failing every write still queued: a client
        /// that half-closed after its request (`nc -N`) lost the end of a large download, and
        /// the answers pipelined behind it. An empty write completes once those before it
        /// have. The watchdog's own closes (timeouts) start below this handler and are not
        /// held: a client that reads nothing is still let go at the send timeout (below).
        ///
        /// A full close from the pipeline is held the same way: Hummingbird, told to quiesce
        /// (SIGTERM), writes the end of the answer under way and closes the connection at
        /// once, and a download that ended within the shutdown's grace lost what was still
        /// queued (the part handler drops any request read after such a close).
        ///
        /// Any close of the output starts the send timeout's wait (``ConnectionTimer/outputClosing(at:)``):
        /// NIO holds such a close until the queue is written, and the client must take it.
        /// Once the server has shut the input itself (the grace has run out), nothing is held.
        func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
            if mode == .input { inputClosedHere = true }
            if mode != .input, context.channel.isActive {
                let now = NIODeadline.now()
                if watchdog.timer.isOutputFlowing { watchdog.noteAcknowledged(context.channel) }
                watchdog.update { $0.outputClosing(at: now) }
            }
            let held = mode == .all || (mode == .output && inputClosed)
            guard held, !inputClosedHere, context.channel.isActive else {
                context.close(mode: mode, promise: promise)
                return
            }
            let written = context.eventLoop.makePromise(of: Void.self)
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            written.futureResult.whenComplete { _ in loopBound.value.close(mode: mode, promise: promise) }
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(ByteBuffer())), promise: written)
        }

        /// The output crossed a water mark: a client that stops reading an answer has until
        /// the send timeout to take some of it.
        func channelWritabilityChanged(context: ChannelHandlerContext) {
            let now = NIODeadline.now()
            if context.channel.isWritable {
                watchdog.update { $0.outputFlowed(at: now) }
            } else {
                if watchdog.timer.isOutputFlowing { watchdog.noteAcknowledged(context.channel) }
                watchdog.update { $0.outputBlocked(at: now) }
            }
            context.fireChannelWritabilityChanged()
        }
    }
}
