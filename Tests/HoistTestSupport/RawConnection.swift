import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection for requests no HTTP client would send: heads that never end,
/// two `Host` headers, bodies that stall. Blocking POSIX calls, run off the cooperative pool.
public final class RawConnection: @unchecked Sendable {
    private let fd: Int32
    private let lock = NSLock()
    private var closed = false

    /// Connects to `127.0.0.1:port`; `receiveBuffer` sets `SO_RCVBUF` first (a small one
    /// makes a client that does not read hold the server's output back sooner).
    public init(port: Int, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ChildProcessError(description: "socket: \(String(cString: strerror(errno)))") }
        if var size = receiveBuffer {
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let message = String(cString: strerror(errno))
            Glibc.close(fd)
            throw ChildProcessError(description: "connect: \(message)")
        }
    }

    deinit { close() }

    /// Sends `text` (or raw bytes); false when the peer has gone.
    @discardableResult
    public func send(_ text: String) -> Bool { send(bytes: Array(text.utf8)) }

    @discardableResult
    public func send(bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    /// Everything the peer sends until it closes the connection or `timeout` passes, and
    /// whether it closed. With `pace`, at most `chunk` bytes are read every `interval` (a
    /// client on a slow link, whose answers wait in the server's buffers).
    public func readUntilClosed(timeout: TimeInterval, pace: (chunk: Int, interval: TimeInterval)? = nil) async -> (text: String, closed: Bool) {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { [self] in
                continuation.resume(returning: self.blockingRead(timeout: timeout, stopAfterResponse: false, pace: pace))
            }
        }
    }

    /// Reads one whole response (head and a `Content-Length` body), or what came before
    /// `timeout` or the peer closed. The default is generous for the crowded start of a
    /// full run on 2 cores (a 0.1 s answer has taken over 10 s there); an answer returns at once.
    public func readResponse(timeout: TimeInterval = 30) async -> String {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { [self] in
                continuation.resume(returning: self.blockingRead(timeout: timeout, stopAfterResponse: true).text)
            }
        }
    }

    /// Reads at most `chunk` bytes every `interval` until the peer closes or `timeout`
    /// passes: a client on a slow, steady link. How many bytes came, and whether it closed.
    public func readPaced(chunk: Int, every interval: TimeInterval, timeout: TimeInterval) async -> (bytes: Int, closed: Bool) {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { [self] in
                let deadline = Date().addingTimeInterval(timeout)
                var total = 0
                var buffer = [UInt8](repeating: 0, count: chunk)
                while Date() < deadline {
                    var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    guard poll(&poller, 1, 200) > 0 else { continue }
                    let count = recv(fd, &buffer, chunk, 0)
                    if count <= 0 { return continuation.resume(returning: (total, true)) }
                    total += count
                    Thread.sleep(forTimeInterval: interval)
                }
                continuation.resume(returning: (total, false))
            }
        }
    }

    /// Reads until one response head has come whole (an interim `100 Continue` counts), or
    /// `timeout` passes or the peer closes: what came.
    public func readHead(timeout: TimeInterval = 30) async -> String {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { [self] in
                continuation.resume(returning: self.blockingRead(timeout: timeout, stopAfterResponse: false, stopAfterHead: true).text)
            }
        }
    }

    private func blockingRead(timeout: TimeInterval, stopAfterResponse: Bool, stopAfterHead: Bool = false,
                              pace: (chunk: Int, interval: TimeInterval)? = nil) -> (text: String, closed: Bool) {
        let deadline = Date().addingTimeInterval(timeout)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: pace?.chunk ?? 65536)
        while Date() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let wait = Int32(max(1, min(200, deadline.timeIntervalSinceNow * 1000)))
            guard poll(&poller, 1, wait) > 0 else { continue }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { return (String(decoding: received, as: UTF8.self), true) }
            received += buffer[0..<count]
            if let pace { Thread.sleep(forTimeInterval: pace.interval) }
            if stopAfterResponse, Self.isWholeResponse(received) { break }
            if stopAfterHead, received.count >= 4, received.indices.dropLast(3).contains(where: { received[$0..<($0 + 4)].elementsEqual([13, 10, 13, 10]) }) {
                break
            }
        }
        return (String(decoding: received, as: UTF8.self), false)
    }

    private static func isWholeResponse(_ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else { return false }
        let head = text[..<end.lowerBound].lowercased()
        guard let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
              let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        else { return !head.hasPrefix("http/1.1 100") }
        return text[end.upperBound...].utf8.count >= length
    }

    /// Bytes received and not yet read (`FIONREAD`): whether the peer has begun to answer.
    public var bytesWaiting: Int {
        var count: Int32 = 0
        return ioctl(fd, UInt(FIONREAD), &count) == 0 ? Int(count) : 0
    }

    /// Whether the peer's end of this loopback connection is still open in some process:
    /// its row in `/proc/net/tcp` names a socket inode (a socket whose descriptor was
    /// closed, lingering to send or in `FIN_WAIT`, names none). Whether a server let go
    /// of a connection, told apart from one that only shut its output.
    public var peerHoldsIt: Bool {
        func port(_ get: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32) -> UInt16? {
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let result = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { get(fd, $0, &length) } }
            return result == 0 ? UInt16(bigEndian: address.sin_port) : nil
        }
        guard let mine = port(getsockname), let theirs = port(getpeername) else { return false }
        return TCPTable.rows().contains { $0.localPort == theirs && $0.remotePort == mine && $0.inode != "0" }
    }

    /// Half-closes: the peer reads end of file, and may still answer.
    public func shutdownWrite() { _ = shutdown(fd, Int32(SHUT_WR)) }

    public func close() {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }
}
