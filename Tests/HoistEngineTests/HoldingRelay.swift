import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A loopback TCP relay that passes the client's bytes on at once but holds the server's
/// answer until `release()`: from the client's side, the server has not answered yet,
/// though it has taken every byte. Blocking sockets on threads of its own.
///
/// Point a server's `publicBaseURL` at `baseURL` and its signed URLs lead through here.
///
/// With `pace`, it holds nothing and passes the client's bytes on at that many bytes a
/// second instead, reading them as it goes from a small receive buffer: a link slower than
/// the client, whose bytes leave as the link takes them (`forwarded` counts them).
final class HoldingRelay: @unchecked Sendable {
    let port: Int
    var baseURL: String { "http://127.0.0.1:\(port)" }
    private let listener: Int32
    // Guards everything below; threads wait on it while the answer is held.
    private let condition = NSCondition()
    private var upstreamPort = 0
    private var released = false
    private var stopped = false
    private var held = 0
    private var open: [Int32] = []
    private let pace: Int?
    private var passed = 0

    init(pace bytesPerSecond: Int? = nil) throws {
        pace = bytesPerSecond
        released = bytesPerSecond != nil
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if bytesPerSecond != nil {
            // Inherited by accepted sockets: the window the client sees stays small, so what
            // the relay has not passed on waits in the client's socket, as on a slow link.
            var small: Int32 = 16 << 10
            setsockopt(listener, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(listener, pointer, length) == 0 && listen(listener, 16) == 0 && getsockname(listener, pointer, &length) == 0
            }
        }
        guard bound else {
            close(listener)
            throw RelayError(message: "bind: \(String(cString: strerror(errno)))")
        }
        self.listener = listener
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in acceptLoop() }.start()
    }

    /// Where to relay to (the server starts after the relay, to know its public URL).
    func setUpstream(port: Int) { condition.withLock { upstreamPort = port } }

    /// Bytes of answers held so far: more than zero once the server has answered.
    var heldBytes: Int { condition.withLock { held } }

    /// Bytes of requests passed on to the server so far.
    var forwarded: Int { condition.withLock { passed } }

    /// Lets held and later answers through.
    func release() {
        condition.withLock {
            released = true
            condition.broadcast()
        }
    }

    /// Stops accepting and cuts every connection.
    func stop() {
        condition.withLock {
            stopped = true
            condition.broadcast()
            for socket in open { shutdown(socket, Int32(SHUT_RDWR)) }
        }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: condition.withLock { upstreamPort })
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0, condition.withLock({ () -> Bool in
                guard !stopped else { return false }
                open += [client, upstream]
                return true
            }) else {
                close(client)
                close(upstream)
                continue
            }
            let ends = Ends()
            Thread { [self] in pump(from: client, to: upstream, holding: false, ends: ends, pace: pace) }.start()
            Thread { [self] in pump(from: upstream, to: client, holding: true, ends: ends) }.start()
        }
    }

    private func pump(from source: Int32, to target: Int32, holding: Bool, ends: Ends, pace: Int? = nil) {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        // Paced: a twentieth of a second's bytes at a time, each read no sooner than the
        // bytes before it would have left.
        let step = pace.map { max(1, min(buffer.count, $0 / 20)) } ?? buffer.count
        let started = Date()
        var total = 0
        while true {
            if let pace {
                let due = started.addingTimeInterval(Double(total) / Double(pace))
                if due > Date() { Thread.sleep(until: due) }
            }
            let count = buffer.withUnsafeMutableBytes { recv(source, $0.baseAddress, step, 0) }
            guard count > 0 else { break }
            total += count
            if holding {
                let go = condition.withLock { () -> Bool in
                    held += count
                    while !released, !stopped { condition.wait() }
                    return !stopped
                }
                guard go else { break }
            }
            var offset = 0
            while offset < count {
                let sent = buffer.withUnsafeBytes { send(target, $0.baseAddress! + offset, count - offset, Int32(MSG_NOSIGNAL)) }
                guard sent > 0 else { break }
                offset += sent
            }
            guard offset == count else { break }
            if !holding { condition.withLock { passed += count } }
        }
        shutdown(target, Int32(SHUT_WR))
        guard ends.finishOne() else { return }
        condition.withLock { open.removeAll { $0 == source || $0 == target } }
        close(source)
        close(target)
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    /// Counts the two directions of one connection; the second to end closes both sockets.
    private final class Ends: @unchecked Sendable {
        private let lock = NSLock()
        private var done = 0
        func finishOne() -> Bool { lock.withLock { done += 1; return done == 2 } }
    }

    struct RelayError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
