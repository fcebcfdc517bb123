#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

private typealias PTOpen = @convention(c) (Int32) -> Int32
private typealias PTCall = @convention(c) (Int32) -> Int32
private typealias PTName = @convention(c) (Int32) -> UnsafeMutablePointer<CChar>?

/// A libc function by name: glibc declares the pty functions only under _XOPEN_SOURCE,
/// which Swift's Glibc module does not define, so they are looked up instead.
private func libc<Function>(_ name: String, as type: Function.Type) -> Function? {
    dlsym(nil, name).map { unsafeBitCast($0, to: type) }
}

/// A pseudo-terminal pair, so that the real curses screen can be driven and watched without
/// a terminal around the test run.
final class PseudoTerminal {
    let master: Int32
    let slave: Int32

    init?() {
        guard let openpt = libc("posix_openpt", as: PTOpen.self), let grantpt = libc("grantpt", as: PTCall.self),
              let unlockpt = libc("unlockpt", as: PTCall.self), let ptsname = libc("ptsname", as: PTName.self) else {
            return nil
        }
        let master = openpt(O_RDWR | O_NOCTTY)
        guard master >= 0, grantpt(master) == 0, unlockpt(master) == 0, let name = ptsname(master) else {
            return nil
        }
        let slave = open(name, O_RDWR | O_NOCTTY)
        guard slave >= 0 else {
            close(master)
            return nil
        }
        self.master = master
        self.slave = slave
    }

    deinit {
        close(slave)
        close(master)
    }

    /// Types into the terminal, as a user would.
    func type(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
    }

    /// Everything the program wrote, until nothing more arrives for `quiet`.
    func output(quiet: Duration = .milliseconds(200)) -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(quiet.components.seconds * 1000 + quiet.components.attoseconds / 1_000_000_000_000_000))
            guard ready > 0 else { break }
            let count = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
