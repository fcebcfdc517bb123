import Foundation
import NIOCore
import NIOExtras
import NIOPosix

/// Accepts the engine's clients on its Unix socket, refuses other users, and connects each
/// to the host: lines in become requests, the host's lines go out.
public enum AgentListener {
    /// Binds `paths.socket` (replacing a stale one: the caller holds the engine lock, so no
    /// live engine can be listening there) and serves until the host stops.
    public static func serve(_ host: AgentHost, paths: AgentPaths) async throws {
        guard paths.socketFits else { throw AgentError.socket("socket path too long for a Unix socket: \(paths.socket)") }
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
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }.flatMapErrorThrowing { error -> NIOAsyncChannel<ByteBuffer, ByteBuffer> in
                    // A refused peer is hung up on at once, not left waiting.
                    channel.close(promise: nil)
                    throw error
                }
            }
        _ = chmod(paths.socket, 0o600)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                await host.waitUntilStopped()
                try? await server.channel.close()
            }
            try await server.executeThenClose { clients in
                for try await client in clients {
                    group.addTask { await serve(client, host: host) }
                }
            }
        }
        try? FileManager.default.removeItem(atPath: paths.socket)
    }

    private static func serve(_ client: NIOAsyncChannel<ByteBuffer, ByteBuffer>, host: AgentHost) async {
        let (id, lines) = await host.open()
        try? await client.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
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
                }
                group.addTask {
                    for try await buffer in inbound { await host.handle(String(buffer: buffer), from: id) }
                }
                // Either side ending ends the connection.
                _ = try await group.next()
                group.cancelAll()
            }
        }
        await host.close(id)
    }
}
