import Foundation

/// The kernel's table of IPv4 TCP sockets (`/proc/net/tcp`), for tests that look at a
/// connection from the server's side: what it still has to send, whether it still holds it.
public enum TCPTable {
    /// One socket's row.
    public struct Row: Sendable, Equatable {
        public let localPort: UInt16
        public let remotePort: UInt16
        /// `01` is established.
        public let state: String
        /// Bytes written and not yet acknowledged by the peer (`tx_queue`).
        public let sendQueue: Int
        /// The socket's inode: 0 once no descriptor holds it (closed, lingering or in `FIN_WAIT`).
        public let inode: String
    }

    /// Every row, as the kernel has them now.
    public static func rows() -> [Row] {
        // Read to its end: procfs says the file is empty, and a read by its size gets nothing.
        guard let file = FileHandle(forReadingAtPath: "/proc/net/tcp") else { return [] }
        defer { try? file.close() }
        let table = String(decoding: file.readDataToEndOfFile(), as: UTF8.self)
        return table.split(separator: "\n").dropFirst().compactMap { line in
            // sl, local address, remote address, state, tx_queue:rx_queue, tr:when, retrnsmt, uid, timeout, inode
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 9, let local = port(fields[1]), let remote = port(fields[2]),
                  let queue = fields[4].split(separator: ":").first.flatMap({ Int($0, radix: 16) }) else { return nil }
            return Row(localPort: local, remotePort: remote, state: String(fields[3]), sendQueue: queue, inode: String(fields[9]))
        }
    }

    /// The port of an `ADDRESS:PORT` field, both in hex.
    private static func port(_ field: Substring) -> UInt16? {
        field.split(separator: ":").last.flatMap { UInt16($0, radix: 16) }
    }
}
