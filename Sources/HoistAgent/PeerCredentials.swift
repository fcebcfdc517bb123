import Foundation
import NIOCore

/// The peer of a Unix socket as the kernel reports it (`SO_PEERCRED`, Linux's `struct ucred`).
struct PeerCredentials: Sendable {
    var pid: Int32
    var uid: UInt32
    var gid: UInt32

    /// Reads the credentials of `channel`'s peer.
    static func of(_ channel: any Channel) -> EventLoopFuture<PeerCredentials> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(AgentError.socket("this channel cannot tell its peer"))
        }
        #if os(Linux)
        return provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
        #else
        return channel.eventLoop.makeFailedFuture(AgentError.socket("peer credentials are read on Linux only"))
        #endif
    }
}
