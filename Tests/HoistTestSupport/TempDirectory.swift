import Foundation

/// Scratch space for tests: every directory and log a test makes lives under one root per
/// test process, `$TMPDIR/hoist-tests-<pid>`, which goes away with the process.
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

    /// A path under the root for a file the caller creates (a log), named `<name>`.
    public static func file(_ name: String) -> String { root + "/" + name }

    private static let prefix = "hoist-tests-"

    private static func makeRoot() -> String {
        let base = FileManager.default.temporaryDirectory.path
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
    private static func startWatchdog(removing root: String) {
        let script = "while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done; rm -rf \(Tmux.quote(root))"
        Task.detached { _ = try? await Spawned("/bin/sh", ["-c", script]) }
    }
}
