import Foundation
import HoistEngine
import NIOCore
import NIOExtras
import NIOPosix
import Synchronization

/// One client connection to the background engine: sends requests, yields what the
/// engine says. Greeted: the engine's `hello` has been read and checked.
public final class AgentConnection: Sendable {
    /// The engine's greeting (version, pid, destination, settings).
    public let greeting: AgentNotice
    /// The greeting as the engine sent it.
    public let greetingText: String
    /// Every line after the greeting: the snapshot, `ready`, then live. Ends when the
    /// connection closes; then ``endReason`` says why. Empty for a connection made `raw`.
    /// One reader; while it is ``unread`` lines behind, the socket is not read.
    public let lines: BoundedLines<AgentLine>
    /// The same lines as the engine sent them, for a connection made `raw` (`hoist attach
    /// --json`); empty otherwise. A client reads one of the two.
    public let texts: BoundedLines<String>
    private let outgoing: AsyncStream<String>.Continuation
    private let ending: Ending
    /// The task that reads and writes the socket; it ends when the connection is over.
    private let running: Task<Void, Never>
    /// The socket, closed outright once a closed connection's hand-over has taken too long.
    private let socket: any Channel

    /// Lines read and not yet taken, at most.
    static let unread = 4096

    private init(greeting: AgentNotice, greetingText: String, lines: BoundedLines<AgentLine>, texts: BoundedLines<String>,
                 outgoing: AsyncStream<String>.Continuation, ending: Ending, running: Task<Void, Never>, socket: any Channel) {
        self.greeting = greeting
        self.greetingText = greetingText
        self.lines = lines
        self.texts = texts
        self.outgoing = outgoing
        self.ending = ending
        self.running = running
        self.socket = socket
    }

    /// Why the connection ended, once it has.
    public var endReason: String? { ending.value.withLock { $0 } }

    /// Sends a request (in order with every earlier one).
    public func send(_ request: AgentRequest) { outgoing.yield(request.line) }

    /// Closes the connection; the engine goes on. Every request sent before reaches the
    /// engine: the connection's sending side is closed after the last of them, and the
    /// socket is kept (what the engine says meanwhile is dropped) until the engine, having
    /// read them all, closes it too, or ``handOverTimeout`` passes. ``lines`` and ``texts``
    /// end with what was read before.
    public func close() {
        outgoing.finish()
        lines.finish()
        texts.finish()
        // The whole hand-over is bounded, its writes too: an engine that reads nothing
        // (hung, or stopped with SIGSTOP) fills the socket, and the last writes would wait
        // for it for as long as it stays so. Closing a socket that is already closed does
        // nothing.
        let socket = socket
        Task {
            try? await Task.sleep(for: Self.handOverTimeout)
            socket.close(promise: nil)
        }
    }

    /// Returns once the connection is over (after ``close()``: once the engine has every
    /// request sent, or ``handOverTimeout`` passed).
    public func closed() async { await running.value }

    /// How long a closed connection waits for the engine to take what was sent. A view
    /// whose terminal hung up mid-`u` goes once its last slice is in the engine; an engine
    /// that reads nothing more does not hold it longer than this.
    public static let handOverTimeout: Duration = .seconds(15)

    /// How long a connected engine may take to greet.
    public static let greetingTimeout: Duration = .seconds(20)

    /// Connects to the engine at `paths.socket` and says hello. Fails with
    /// ``AgentError/notRunning(socket:)`` when nobody listens (a stale socket included),
    /// with the engine's refusal (`version_mismatch`, `destination_mismatch`), and as lost
    /// when what listens does not greet within ``greetingTimeout``.
    public static func connect(_ paths: AgentPaths, hello: AgentRequest, raw: Bool = false,
                               greetingTimeout: Duration = greetingTimeout) async throws(AgentError) -> AgentConnection {
        guard paths.socketFits else { throw .socket("socket path too long for a Unix socket: \(paths.socket)") }
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(5))
                .connect(unixDomainSocketPath: paths.socket) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineBasedFrameDecoder()))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            // ENOENT (no socket) and ECONNREFUSED (a socket nobody listens on: a killed engine's).
            throw .notRunning(socket: paths.socket)
        }
        let (outStream, outgoing) = AsyncStream.makeStream(of: String.self)
        let incoming = BoundedLines<AgentLine>(limit: unread)
        let incomingText = BoundedLines<String>(limit: unread)
        let (greetings, greeted) = AsyncStream.makeStream(of: Result<(AgentNotice, String), AgentError>.self)
        let ending = Ending()
        outgoing.yield(hello.line)
        let running = Task {
            let reason: String
            do {
                try await channel.executeThenClose { inbound, outbound in
                    try await withThrowingTaskGroup(of: Bool.self) { group in
                        group.addTask {
                            for await line in outStream { try await outbound.write(ByteBuffer(string: line)) }
                            // Closed by the client: its last requests reach the socket first,
                            // then the engine reads the end of them and closes its side.
                            try await channel.channel.writeAndFlush(ByteBuffer())
                            // (An engine that closed first has nothing more to read.)
                            try? await channel.channel.close(mode: .output)
                            return false
                        }
                        group.addTask {
                            var greetingSeen = false
                            for try await buffer in inbound {
                                let text = String(buffer: buffer)
                                guard let line = AgentLine(text) else { continue }
                                if !greetingSeen {
                                    greetingSeen = true
                                    guard case .notice(let notice) = line else {
                                        greeted.yield(.failure(.protocolViolation("the engine did not greet")))
                                        return true
                                    }
                                    greeted.yield(Self.check(notice, hello: hello).map { ($0, text) })
                                    greeted.finish()
                                    continue
                                }
                                // Dropped once closed (the sequences are finished): read on
                                // only to see the engine close.
                                if raw { await incomingText.send(text) } else { await incoming.send(line) }
                            }
                            return true
                        }
                        // The engine's side ending ends the connection. This side's closing
                        // does once the engine has read what was sent (or `close()`'s
                        // bound closes the socket).
                        if try await group.next() == false { _ = try await group.next() }
                        group.cancelAll()
                    }
                }
                reason = "the engine closed the connection"
            } catch {
                reason = "\(error)"
            }
            ending.value.withLock { $0 = reason }
            greeted.yield(.failure(.lost(reason)))
            greeted.finish()
            incoming.finish()
            incomingText.finish()
        }
        // A socket that takes the connection but never greets (what holds it is hung: a
        // killed engine's crash reporter kept its descriptor) would hold the client forever.
        let silence = Task {
            guard (try? await Task.sleep(for: greetingTimeout)) != nil else { return }
            greeted.yield(.failure(.lost("the background engine did not answer on \(paths.socket) within \(greetingTimeout)")))
            try? await channel.channel.close()
        }
        var first: Result<(AgentNotice, String), AgentError> = .failure(.lost("no greeting"))
        for await result in greetings {
            first = result
            break
        }
        silence.cancel()
        switch first {
        case .success(let (notice, text)):
            return AgentConnection(
                greeting: notice, greetingText: text, lines: incoming, texts: incomingText, outgoing: outgoing, ending: ending,
                running: running, socket: channel.channel)
        case .failure(let error):
            outgoing.finish()
            throw error
        }
    }

    /// The greeting, or why it refuses this client.
    static func check(_ notice: AgentNotice, hello: AgentRequest) -> Result<AgentNotice, AgentError> {
        switch notice.event {
        case .hello:
            guard notice.protocolVersion == AgentProtocol.version else {
                return .failure(.versionMismatch(
                    client: AgentProtocol.version, clientVersion: hello.version ?? "?",
                    engine: notice.protocolVersion ?? 0, engineVersion: notice.version ?? "?", pid: notice.pid))
            }
            return .success(notice)
        case .error where notice.code == "version_mismatch":
            return .failure(.versionMismatch(
                client: AgentProtocol.version, clientVersion: hello.version ?? "?",
                engine: notice.protocolVersion ?? 0, engineVersion: notice.version ?? "?", pid: notice.pid))
        case .error where notice.code == "destination_mismatch" || notice.code == "options_mismatch":
            return .failure(.destinationRefused(notice.message ?? "the background engine uploads elsewhere"))
        default:
            return .failure(.protocolViolation(notice.message ?? "unexpected \(notice.event.rawValue) before the greeting"))
        }
    }
}

/// Why a connection ended, set once by its reading task.
private final class Ending: Sendable {
    let value = Mutex<String?>(nil)
}
