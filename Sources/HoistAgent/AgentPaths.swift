import Foundation

/// Where the background engine of one journal listens, locks and logs.
///
/// The socket lives in `$XDG_RUNTIME_DIR/hoist/` (named after the journal, so two journals
/// never share an engine), or beside the journal when that is unset. The directory is
/// made mode 0700 and the socket 0600: only this user reaches it, and the engine also
/// checks each peer's uid.
public struct AgentPaths: Sendable, Equatable {
    /// The journal the engine owns.
    public var journal: String
    /// The Unix socket clients connect to.
    public var socket: String
    /// The lock file: whoever holds it is the one engine of this journal.
    public var lock: String
    /// Where a started engine writes its messages.
    public var log: String

    public init(journal: String, environment: [String: String]) {
        self.journal = journal
        let directory = URL(fileURLWithPath: journal).deletingLastPathComponent().path
        lock = journal + ".engine.lock"
        log = directory + "/engine.log"
        if let runtime = environment["XDG_RUNTIME_DIR"], runtime.hasPrefix("/") {
            socket = runtime + "/hoist/engine-" + Self.fingerprint(journal) + ".sock"
        } else {
            socket = directory + "/engine.sock"
        }
    }

    /// The directory of the socket.
    public var socketDirectory: String { URL(fileURLWithPath: socket).deletingLastPathComponent().path }

    /// Whether something other than a socket is at the socket's path (not followed if a link).
    public var socketTaken: Bool { AgentListener.SocketFile(socket).map { !$0.isSocket } ?? false }

    /// A Unix socket path must fit `sockaddr_un.sun_path` (108 bytes with its NUL).
    public var socketFits: Bool { socket.utf8.count < 108 }

    /// A short stable name for a path (FNV-1a, 64 bits): enough to keep journals apart.
    static func fingerprint(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
