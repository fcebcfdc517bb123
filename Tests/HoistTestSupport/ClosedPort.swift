import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A loopback port nothing listens on, so a connect to it is refused.
///
/// The socket stays bound, never listening, for the rest of the test run: once closed, its
/// number was free for any other test's server to take, and a full run once saw a
/// "refused" port answer 401 from another suite's `hoist serve`.
public func closedPort() throws -> Int {
    // Close-on-exec: the hoist processes a test starts need not hold it too.
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw ChildProcessError(description: "socket: \(errno)") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else {
        close(fd)
        throw ChildProcessError(description: "bind: \(errno)")
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
