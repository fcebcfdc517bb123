import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// How many bytes of its output a connection's client has acknowledged, from the kernel
/// (`TCP_INFO`'s `tcpi_bytes_acked`, Linux 4.1 and later).
///
/// Why the kernel's count: a socket's send buffer grows to megabytes, and Linux says it is
/// writable again only once a third of it is free, so a client reading slowly but steadily
/// (a mobile link at tens of KB/s) can leave the server's writes waiting far longer than
/// the send timeout while it takes every byte it is sent. What the kernel counts as
/// acknowledged moves exactly when the client reads (a closed window, and the probes into
/// it, move nothing), so that is what tells a slow reader from one that stopped.
enum AcknowledgedBytes {
    /// The kernel's `struct tcp_info` up to `tcpi_bytes_acked` (glibc's copy of the struct
    /// stops before it): eight bytes of small fields, then 24 u32s, then u64s; the count
    /// is the third u64, at byte 120 (linux/tcp.h, a stable ABI).
    private struct Info: Sendable {
        var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                    UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    }

    /// The count for `channel`'s socket; nil where it cannot be read (not a TCP socket, a
    /// kernel without the field), and the caller then judges by its own clock alone.
    static func of(_ channel: any Channel) -> EventLoopFuture<UInt64?> {
        guard let provider = channel as? any SocketOptionProvider else { return channel.eventLoop.makeSucceededFuture(nil) }
        let future: EventLoopFuture<Info> = provider.unsafeGetSocketOption(level: .tcp, name: .tcp_info)
        // A kernel whose struct ends before the field leaves it zero: no count, not "none acknowledged".
        return future.map { info in info.words.15 == 0 ? nil : info.words.15 }.recover { _ in nil }
    }
}
