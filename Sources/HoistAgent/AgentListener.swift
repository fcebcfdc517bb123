import Foundation
import NIOCore
import NIOExtras
import NIOPosix

/// Accepts the engine's clients on its Unix socket, refuses other users, and connects each
/// to the host: lines in become requests, the host's lines go out.
public enum AgentListener {
    typealias Listener = NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>

    /// Binds `paths.socket` (replacing a stale one: the caller holds the engine lock, so no
    /// live engine can be listening there) and serves until the host stops.
    ///
    /// Should the socket file go while the engine runs (removed by hand, or with its whole
    /// directory: logind empties `$XDG_RUNTIME_DIR` when a user's last session ends, as a
    /// dropped SSH connection may be), nobody could reach the engine again, and no other
    /// engine could start while this one holds the lock. So the path is looked at every
    /// `watch` and bound again once it is not this engine's socket any more (as soon as its
    /// directory can be made: at once, or at the user's next login); `log` says so. The
    /// connections already open go on.
    public static func serve(_ host: AgentHost, paths: AgentPaths, watch: Duration = .seconds(1),
                             log: @escaping @Sendable (String) -> Void = { _ in }) async throws {
        guard paths.socketFits else { throw AgentError.socket("socket path too long for a Unix socket: \(paths.socket)") }
        let first = try await bind(paths)
        try await withThrowingDiscardingTaskGroup { group in
            let (rebound, deliver) = AsyncStream.makeStream(of: Listener.self)
            let watcher = Task { await keepBound(paths, first: first, every: watch, log: log, deliver: deliver) }
            group.addTask {
                await host.waitUntilStopped()
                // Its end closes every listener, which ends their accept loops.
                watcher.cancel()
            }
            group.addTask { try await accept(first, host: host) }
            for await listener in rebound { group.addTask { try await accept(listener, host: host) } }
        }
    }

    /// Binds the socket again whenever the file at its path is not the one bound last,
    /// until cancelled; then closes every listener it knows and removes the socket file if
    /// it is still theirs.
    private static func keepBound(_ paths: AgentPaths, first: Listener, every interval: Duration,
                                  log: @Sendable (String) -> Void, deliver: AsyncStream<Listener>.Continuation) async {
        var listeners = [first]
        var bound = SocketFile(paths.socket)
        var stuck = false
        while (try? await Task.sleep(for: interval)) != nil {
            if let now = SocketFile(paths.socket), now == bound { continue }
            do {
                let next = try await bind(paths)
                listeners.append(next)
                bound = SocketFile(paths.socket)
                stuck = false
                log("its socket \(paths.socket) was gone; listening there again")
                deliver.yield(next)
            } catch {
                // Said once; tried again every interval.
                if !stuck {
                    log(paths.socketTaken
                        ? "its socket \(paths.socket) is gone and something other than a socket is there: listening there again once that is removed"
                        : "its socket \(paths.socket) is gone and cannot be made again yet (\(Self.describe(error))): trying every \(interval)")
                }
                stuck = true
            }
        }
        deliver.finish()
        for listener in listeners { try? await listener.channel.close() }
        if let now = SocketFile(paths.socket), now == bound { try? FileManager.default.removeItem(atPath: paths.socket) }
    }

    /// An error of making the socket's directory or binding it, in words.
    private static func describe(_ error: any Error) -> String {
        if let error = error as? CocoaError, let underlying = error.underlying as? POSIXError { return String(cString: strerror(underlying.code.rawValue)) }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        return "\(error)"
    }

    /// The identity of the file at a path (its device and inode); nil when there is none.
    struct SocketFile: Equatable {
        let device: UInt64
        let inode: UInt64
        /// Whether it is a socket (not a file, directory or link in its place).
        let isSocket: Bool

        init?(_ path: String) {
            var info = stat()
            guard lstat(path, &info) == 0 else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            isSocket = info.st_mode & S_IFMT == S_IFSOCK
        }
    }

    private static func accept(_ server: Listener, host: AgentHost) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { clients in
                for try await client in clients {
                    group.addTask { await serve(client, host: host) }
                }
            }
        }
    }

    /// Makes the socket's directory (0700) and binds the socket (0600) there.
    private static func bind(_ paths: AgentPaths) async throws -> Listener {
        try FileManager.default.createDirectory(
            atPath: paths.socketDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // Its directory is 0700 (checked below), so nobody else can reach the socket in the
        // moment between bind and chmod. The umask is left alone: it is process-wide, and
        // this process may be doing other things.
        _ = chmod(paths.socketDirectory, 0o700)
        let uid = getuid()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .bind(unixDomainSocketPath: paths.socket, cleanupExistingSocketFile: true) { channel in
                PeerCredentials.of(channel).flatMapThrowing { peer in
                    // Mode 0600 already keeps other users out; root is kept out too.
                    guard peer.uid == uid else { throw AgentError.refusedPeer(uid: peer.uid) }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineBasedFrameDecoder()))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel, configuration: .init(backPressureStrategy: inboundLines))
                }.flatMapErrorThrowing { error -> NIOAsyncChannel<ByteBuffer, ByteBuffer> in
                    // A refused peer is hung up on at once, not left waiting.
                    channel.close(promise: nil)
                    throw error
                }
            }
        _ = chmod(paths.socket, 0o600)
        return server
    }

    /// How one side of a client's connection ended.
    private enum Ended {
        /// The client's lines ended (it closed, or its side of the connection broke).
        case reading
        /// The host ended the client's stream and all of it was written.
        case writing
        /// A write failed: the client has gone, or stopped reading and the connection broke.
        case writeFailed
    }

    /// Lines read ahead of the host. A write to a client that has gone fails, and NIO then
    /// reads what is left on the socket before it closes it only if a read is pending: at
    /// NIO's default of 10 lines held, a client that sent twelve lines and hung up lost the
    /// last two (seen under load). A TUI slice is one line of up to about 400 KB; the TUI
    /// journals its slices before it sends them, so this guards other clients' lines.
    static let inboundLines = NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark(lowWatermark: 32, highWatermark: 64)

    private static func serve(_ client: NIOAsyncChannel<ByteBuffer, ByteBuffer>, host: AgentHost) async {
        let (id, lines) = await host.open()
        try? await client.executeThenClose { inbound, outbound in
            await withTaskGroup(of: Ended.self) { group in
                group.addTask {
                    do {
                        for await outgoing in lines {
                            switch outgoing {
                            case .line(let line):
                                try await outbound.write(ByteBuffer(string: line))
                            case .snapshot(let snapshot):
                                // A write at a time, each waiting for the socket: the snapshot is
                                // never all in memory as lines.
                                for chunk in snapshot.chunks(of: 64 << 10) { try await outbound.write(ByteBuffer(string: chunk)) }
                            }
                        }
                        // The host ended the stream (a snapshot-only client, a stop): closing now
                        // would drop what the socket has not taken yet, and a large snapshot
                        // came out cut short. An empty write after the last is done once they are.
                        try await client.channel.writeAndFlush(ByteBuffer())
                        return .writing
                    } catch {
                        return .writeFailed
                    }
                }
                group.addTask {
                    // Every line the client sent is handled, those read after a write to it
                    // failed among them: a view whose terminal hung up mid-`u` wrote its slices
                    // and went, and the engine's first write to it after that fails.
                    do {
                        for try await buffer in inbound { await host.handle(String(buffer: buffer), from: id) }
                    } catch {}
                    return .reading
                }
                // Either side ending ends the connection, but for a failed write: the lines
                // the client sent before it went are still to be read.
                while let ended = await group.next(), ended == .writeFailed {}
                group.cancelAll()
            }
        }
        await host.close(id)
    }
}
