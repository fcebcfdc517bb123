import Foundation
import SigV4
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One process's claim on the journal rows it works on: a file in `<journal>.runs/` named
/// after the run, `flock`ed for as long as the run lives. The kernel frees the lock when the
/// process dies, also by kill -9, so another run can tell a live owner's unfinished rows (a
/// foreground `hoist upload` uploading them now) from a killed one's (left to resume).
/// Without it, an engine starting beside a running `hoist upload` on the same journal took
/// that upload's rows for a killed run's: it cancelled its sessions and uploaded its files
/// a second time.
final class JournalRun: Sendable {
    /// The name rows and walks are marked with: `<pid>-<random>`.
    let owner: String
    private let path: String
    /// The locked file's descriptor, until the run ends.
    private let descriptor: Mutex<Int32?>

    /// Claims a run of the journal at `journalPath`.
    init(journalPath: String) throws(EngineError) {
        let directory = Self.directory(journalPath)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw .journal("cannot create \(directory): \(error.localizedDescription)")
        }
        // Another run's sweep (below) may remove a lock file between its creation and its
        // lock, when it looks like a dead run's: a file locked that is no longer the name's
        // is given up for a fresh name.
        var claimed: (owner: String, path: String, descriptor: Int32)?
        for _ in 0..<5 where claimed == nil {
            let owner = "\(getpid())-\(UUID().uuidString.prefix(8).lowercased())"
            let path = directory + "/" + owner + ".lock"
            let opened = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
            guard opened >= 0 else { throw .journal("cannot create \(path): \(String(cString: strerror(errno)))") }
            guard flock(opened, LOCK_EX | LOCK_NB) == 0 else {
                let reason = String(cString: strerror(errno))
                close(opened)
                throw .journal("cannot lock \(path): \(reason)")
            }
            var named = stat(), held = stat()
            if stat(path, &named) == 0, fstat(opened, &held) == 0, named.st_ino == held.st_ino, named.st_dev == held.st_dev {
                claimed = (owner, path, opened)
            } else {
                close(opened)
            }
        }
        guard let claimed else { throw .journal("cannot keep a lock in \(directory): its files keep going") }
        (owner, path) = (claimed.owner, claimed.path)
        descriptor = Mutex(claimed.descriptor)
        Self.removeDead(in: directory)
    }

    /// Removes the lock files of runs that are gone (killed, or ended without a word), so
    /// that the directory does not grow with every kill.
    static func removeDead(in directory: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasSuffix(".lock") {
            _ = isAlive(String(name.dropLast(".lock".count)), runs: directory)
        }
    }

    /// The run is over (its engine shut down): what it leaves unfinished is the next run's.
    func end() {
        descriptor.withLock { held in
            guard let fd = held else { return }
            unlink(path)
            close(fd)
            held = nil
        }
    }

    deinit { end() }

    static func directory(_ journalPath: String) -> String { journalPath + ".runs" }

    /// Whether the run `owner` of the journal at `journalPath` still runs. The file of one
    /// that ended without removing it (killed) is removed here.
    static func isAlive(_ owner: String, journalPath: String) -> Bool {
        isAlive(owner, runs: directory(journalPath))
    }

    private static func isAlive(_ owner: String, runs: String) -> Bool {
        // The name comes from the journal: only a name this type makes is a path to look at.
        let parts = owner.split(separator: "-")
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && Hex.isDigits($0) }) else { return false }
        let path = runs + "/" + owner + ".lock"
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        // Shared: two runs looking at a dead run's file at once both see it dead, where an
        // exclusive probe would make each see the other's probe as the run alive.
        guard flock(descriptor, LOCK_SH | LOCK_NB) == 0 else { return errno == EWOULDBLOCK }
        unlink(path)
        return false
    }

    /// The process id in a run's name, for messages.
    static func pid(of owner: String) -> String { String(owner.prefix { $0 != "-" }) }
}
