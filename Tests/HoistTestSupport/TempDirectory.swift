import CHoistTestIO
import Foundation

/// Scratch space for tests: every directory and log a test makes lives under one root per
/// test process, `<base>/hoist-tests-<pid>`, which goes away with the process.
///
/// The base is `HOIST_TEST_TMPDIR` if set, else `/dev/shm` (Linux's tmpfs) when it has room,
/// else the system's temporary directory. A full run makes and removes tens of thousands of
/// files. On an ext4 without a journal (this machine's disk), every new inode
/// first skips each inode freed in its group in the last minute or more (the kernel's
/// `recently_deleted`), so each file made costs more than the last: in the first 9 s of a
/// run, a quarter of the test process's CPU went to that, and no test could finish before
/// 9.2 s. On tmpfs the first test finishes at 4.7 s. A run peaks near 0.7 GB there.
///
/// Tests leave servers, tmux panes and background engines writing into their directories
/// until the very end, so removing each one as its test returns is not safe; removing the
/// root once the process is gone is. A watchdog shell does that, as for moto: swift-testing's
/// process may end without running `atexit` handlers. A root whose process died before its
/// watchdog could act (the machine went down) is swept by the next test process.
public enum TempDirectory {
    /// This process's root, made (and its watchdog started) on first use.
    public static let root: String = makeRoot()

    /// A new, empty directory under the root, named `<prefix>-<random>`.
    public static func make(prefix: String) throws -> String {
        let path = root + "/\(prefix)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A new, empty directory on a file system that writes back to a disk, for a test of
    /// when bytes reach it (the root is usually on tmpfs, which has nothing to write back):
    /// under the system's temporary directory, `/var/tmp` or the current one, the first that
    /// is neither tmpfs nor ramfs. Nil when none is. The caller removes it.
    public static func makeOnDisk(prefix: String) -> String? {
        for base in [FileManager.default.temporaryDirectory.path, "/var/tmp", FileManager.default.currentDirectoryPath] {
            guard hoist_test_in_memory_fs(base) == 0 else { continue }
            let path = base + "/\(Self.prefix)\(prefix)-\(getpid())-\(UUID().uuidString.prefix(8))"
            if (try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)) != nil { return path }
        }
        return nil
    }

    /// A path under the root for a file the caller creates (a log), named `<name>`.
    public static func file(_ name: String) -> String { root + "/" + name }

    private static let prefix = "hoist-tests-"

    /// Free space `/dev/shm` must have to be used: several times what a full run keeps there.
    private static let tmpfsRoom: UInt64 = 4 << 30

    /// Where roots are made; see the type's documentation.
    private static func base() -> String {
        if let chosen = ProcessInfo.processInfo.environment["HOIST_TEST_TMPDIR"], !chosen.isEmpty { return chosen }
        // Linux mounts a tmpfs there; where there is none, statvfs fails and the disk is used.
        var stats = statvfs()
        if statvfs("/dev/shm", &stats) == 0, access("/dev/shm", W_OK | X_OK) == 0,
           UInt64(stats.f_bavail) * UInt64(stats.f_frsize) >= tmpfsRoom
        {
            return "/dev/shm"
        }
        return FileManager.default.temporaryDirectory.path
    }

    private static func makeRoot() -> String {
        let base = base()
        sweepStale(in: base)
        let root = base + "/" + prefix + String(getpid())
        try? FileManager.default.removeItem(atPath: root)  // a dead process's, with our pid
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        } catch {
            fatalError("tests cannot make their scratch directory \(root): \(error)")
        }
        startWatchdog(removing: root)
        return root
    }

    /// Removes the roots of test processes that no longer run.
    private static func sweepStale(in base: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: base) else { return }
        for name in names where name.hasPrefix(prefix) {
            guard let pid = pid_t(name.dropFirst(prefix.count)), pid != getpid() else { continue }
            if kill(pid, 0) == -1 && errno == ESRCH { try? FileManager.default.removeItem(atPath: base + "/" + name) }
        }
    }

    /// A shell that waits for this process to end, then removes `root`. It is spawned as
    /// every test child is (no descriptor of ours, output to /dev/null), and outlives us.
    ///
    /// A test process that is killed leaves its tmux servers, and the hoist in each pane
    /// retrying a server that died with it, running for good: the watchdog ends every tmux
    /// server whose log (`Tmux.logSuffix`) is in the root before removing it.
    private static func startWatchdog(removing root: String) {
        let servers = "for log in \(Tmux.quote(root))/*\(Tmux.logSuffix); do [ -e \"$log\" ] || continue; "
            + "name=${log##*/}; tmux -L \"${name%\(Tmux.logSuffix)}\" kill-server; done 2>/dev/null"
        let script = "while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done; \(servers); rm -rf \(Tmux.quote(root))"
        Task.detached { _ = try? await Spawned("/bin/sh", ["-c", script]) }
    }
}
