import Foundation
import Synchronization

/// The WAN of `--wan`: two network namespaces, the server's and the client's, joined by a
/// veth pair whose two ends are shaped with `tc ... tbf` (the latency is the relay's, see
/// `DelayRelay`). Namespaces carry the bench's pid, so a later run can tell a dead run's
/// leftovers from a live one's.
struct WANLink: Sendable {
    static let serverAddress = "10.203.0.1"
    static let clientAddress = "10.203.0.2"
    /// The veth end's name inside each namespace (names are per namespace).
    static let device = "wan0"
    private static let prefix = "hoistb-"

    let profile: WANProfile
    let owner: pid_t

    var serverNamespace: String { Self.prefix + "\(owner)-srv" }
    var clientNamespace: String { Self.prefix + "\(owner)-cli" }

    /// Root, `ip`, `tc` and curl, or why not, in a sentence for the user.
    static func checkPrerequisites() throws {
        guard geteuid() == 0 else {
            throw BenchError("--wan needs root: it makes network namespaces (ip netns) and shapes a link (tc)")
        }
        // ip and tc live in sbin, which a user's PATH may lack; the children search the same PATH.
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let directories = path.split(separator: ":").map(String.init)
        let missing = ["/usr/sbin", "/sbin"].filter { !directories.contains($0) }
        let searched = directories + missing
        if !missing.isEmpty { setenv("PATH", searched.joined(separator: ":"), 1) }
        for tool in ["ip", "tc", "curl"] {
            guard searched.contains(where: { FileManager.default.isExecutableFile(atPath: $0 + "/" + tool) }) else {
                throw BenchError("--wan needs `\(tool)` (Debian: apt-get install iproute2 curl)")
            }
        }
    }

    /// Makes both namespaces, the veth pair with its addresses, `lo` in each, and the
    /// shaping; anything half made is torn down before the error is thrown.
    static func up(_ profile: WANProfile, owner: pid_t = getpid()) throws -> WANLink {
        let link = WANLink(profile: profile, owner: owner)
        do {
            let (server, client) = (link.serverNamespace, link.clientNamespace)
            try run(["ip", "netns", "add", server])
            try run(["ip", "netns", "add", client])
            // Made inside the namespaces directly: no veth is ever left in the root namespace.
            try run(["ip", "link", "add", device, "netns", server, "type", "veth", "peer", "name", device, "netns", client])
            for (namespace, address) in [(server, serverAddress), (client, clientAddress)] {
                try run(["ip", "-n", namespace, "addr", "add", address + "/24", "dev", device])
                try run(["ip", "-n", namespace, "link", "set", device, "up"])
                try run(["ip", "-n", namespace, "link", "set", "lo", "up"])
                // Each end shapes what it sends: the client's uploads, the server's answers and ACKs.
                try run(["tc", "-n", namespace, "qdisc", "add", "dev", device, "root", "tbf",
                         "rate", "\(profile.bitsPerSecond)bit", "burst", String(profile.tbfBurstBytes),
                         "limit", String(profile.tbfLimitBytes)])
            }
        } catch {
            link.down()
            throw error
        }
        return link
    }

    /// Kills whatever still runs in the two namespaces and deletes them (the veth pair
    /// goes with them). Safe to call twice, and from the interrupt thread.
    func down() { Self.tearDown(owner: owner) }

    /// Deletes every `hoistb-<pid>-*` namespace of `owner`, killing its processes first: a
    /// namespace's name can be deleted while processes hold it, and then the veth and its
    /// addresses would linger, unnamed, until they exit.
    static func tearDown(owner: pid_t) {
        for namespace in namespaces() where namespace.hasPrefix(prefix + "\(owner)-") { delete(namespace) }
    }

    /// Deletes the namespaces of earlier runs whose bench is no longer alive.
    static func removeStale(log: (String) -> Void) {
        for namespace in namespaces() where namespace.hasPrefix(prefix) {
            let owner = namespace.dropFirst(prefix.count).prefix { $0.isNumber }
            guard let pid = pid_t(owner), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            log("removing \(namespace), left by a bench (pid \(pid)) that is gone")
            delete(namespace)
        }
    }

    private static func delete(_ namespace: String) {
        let pids = ((try? run(["ip", "netns", "pids", namespace])) ?? "").split(whereSeparator: \.isWhitespace)
        for pid in pids.compactMap({ pid_t($0) }) { kill(pid, SIGKILL) }
        _ = try? run(["ip", "netns", "delete", namespace])
    }

    private static func namespaces() -> [String] {
        // `ip netns list` prints `NAME` or `NAME (id: N)`.
        ((try? run(["ip", "netns", "list"])) ?? "").split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
    }

    /// Runs a command (searched in PATH, no shell) to its end; its stdout, or an error
    /// that carries its stderr.
    @discardableResult
    static func run(_ command: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        // stderr to a file, so that a child writing much of it cannot block on a pipe nobody reads.
        let errorPath = NSTemporaryDirectory() + "/hoist-bench-wan-\(getpid())-\(UUID().uuidString.prefix(8)).err"
        guard FileManager.default.createFile(atPath: errorPath, contents: nil),
              let errors = FileHandle(forWritingAtPath: errorPath) else { throw BenchError("cannot create \(errorPath)") }
        defer { try? errors.close(); try? FileManager.default.removeItem(atPath: errorPath) }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = ((try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            throw BenchError("`\(command.joined(separator: " "))` exited \(process.terminationStatus): \(message)")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension WANLink {
    /// On SIGINT or SIGTERM: the namespaces of `owner` (and whatever runs in them) and
    /// `directory` go, then the bench exits 130. The handler only writes a byte to a
    /// pipe (what a signal handler may do); a thread waiting on the pipe does the work.
    /// A handled signal, unlike an ignored one, is reset to its default in every child.
    static func tearDownOnInterrupt(owner: pid_t, directory: String, log: @escaping @Sendable (String) -> Void) {
        let pipe = InterruptPipe.fds
        Thread {
            var byte: UInt8 = 0
            while read(pipe.read, &byte, 1) < 0 && errno == EINTR {}
            InterruptPipe.interrupted.withLock { $0 = true }
            log("interrupted: removing the namespaces and \(directory)")
            tearDown(owner: owner)
            // The bench's own clean-up may be removing parts of it at the same moment.
            for _ in 0..<10 where FileManager.default.fileExists(atPath: directory) {
                try? FileManager.default.removeItem(atPath: directory)
                usleep(50_000)
            }
            exit(130)
        }.start()
        for signal in [SIGINT, SIGTERM] {
            Glibc.signal(signal) { _ in
                var byte: UInt8 = 1
                _ = write(InterruptPipe.fds.write, &byte, 1)
            }
        }
    }
}

extension WANLink {
    /// Whether a signal has started the tear-down (which ends in exit 130).
    static var interrupted: Bool { InterruptPipe.interrupted.withLock { $0 } }
}

/// The self-pipe of `tearDownOnInterrupt`, made before any handler can run.
private enum InterruptPipe {
    static let interrupted = Mutex(false)

    static let fds: (read: Int32, write: Int32) = {
        var fds: [Int32] = [-1, -1]
        _ = pipe(&fds)
        return (fds[0], fds[1])
    }()
}
