import Foundation

/// The lock that makes one engine per journal: an exclusive `flock` on a file beside the
/// journal, held for the engine's life and released by the kernel when it dies (even by
/// kill -9), with the holder's pid written in it for messages.
public final class EngineLock: Sendable {
    private let descriptor: Int32
    public let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    /// Takes the lock, or fails with ``AgentError/alreadyRunning(pid:journal:)``.
    public static func acquire(_ paths: AgentPaths) throws(AgentError) -> EngineLock {
        let descriptor = open(paths.lock, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .socket("cannot open \(paths.lock): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = Self.readPID(descriptor)
            close(descriptor)
            throw .alreadyRunning(pid: holder, journal: paths.journal)
        }
        let text = "\(getpid())\n"
        _ = ftruncate(descriptor, 0)
        _ = text.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        return EngineLock(descriptor: descriptor, path: paths.lock)
    }

    /// The pid of the engine holding the lock of `paths`, if one does.
    public static func holder(_ paths: AgentPaths) -> Int32? {
        let descriptor = open(paths.lock, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        // A shared lock succeeds only when nobody holds the exclusive one.
        if flock(descriptor, LOCK_SH | LOCK_NB) == 0 {
            _ = flock(descriptor, LOCK_UN)
            return nil
        }
        return readPID(descriptor) ?? 0
    }

    private static func readPID(_ descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, 31, 0) }
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Unlocks before closing: a child forked at that moment (by any thread, before its
    /// exec closes the descriptor it inherited) shares the lock's open file, and closing only
    /// this copy would leave the lock held until the child's exec. An unlock on any copy frees it.
    deinit {
        _ = flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
