import Foundation
import Synchronization

/// A PostgreSQL server for tests: `HOIST_TEST_POSTGRES_URL` (`.ci/run` starts one on
/// loopback and sets it), else a private cluster this test process starts once, from
/// Debian's `postgresql` package, and stops when it exits.
public enum TestPostgres {
    /// The admin URL (the `postgres` database) of the server tests use.
    public static func adminURL() async throws -> String {
        if let url = ProcessInfo.processInfo.environment["HOIST_TEST_POSTGRES_URL"], !url.isEmpty { return url }
        return try await Started.shared.url()
    }

    /// A new, empty database; returns its URL and how to drop it.
    public static func makeDatabase() async throws -> (url: String, drop: @Sendable () async -> Void) {
        let admin = try await adminURL()
        let name = "hoist_test_" + UUID().uuidString.prefix(13).lowercased().replacingOccurrences(of: "-", with: "")
        let made = try await Shell.run("psql -v ON_ERROR_STOP=1 -q \(Tmux.quote(admin)) -c 'CREATE DATABASE \(name)'")
        guard made.status == 0 else {
            throw ChildProcessError(description: "cannot create test database \(name): \(made.stderr)")
        }
        var components = URLComponents(string: admin)!
        components.path = "/" + name
        // A few connections per server: a full parallel run starts dozens of servers.
        components.query = "pool=6&sslmode=disable"
        return (components.string!, {
            _ = try? await Shell.run("psql -q \(Tmux.quote(admin)) -c 'DROP DATABASE IF EXISTS \(name) WITH (FORCE)'")
        })
    }

    /// The cluster this process started, once.
    private actor Started {
        static let shared = Started()
        private var started: Task<String, any Error>?

        func url() async throws -> String {
            if let started { return try await started.value }
            let task = Task { try await TestPostgres.startCluster() }
            started = task
            return try await task.value
        }
    }

    private static let pid = Mutex<Int32>(0)

    /// initdb in a temporary directory, then `postgres` on a free loopback port behind a
    /// watchdog shell that stops it when this process is gone. PostgreSQL refuses to run
    /// as root, so as root it runs as the `postgres` user the package made, through
    /// `setpriv`, which execs (`runuser` stays as a parent, and killing it left PostgreSQL up).
    private static func startCluster() async throws -> String {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        guard let version = versions.sorted().last else {
            throw ChildProcessError(description: "PostgreSQL is not installed (apt-get install postgresql), and HOIST_TEST_POSTGRES_URL is unset")
        }
        let bin = "/usr/lib/postgresql/\(version)/bin"
        let directory = try TempDirectory.make(prefix: "hoist-pg")
        let asUser = getuid() == 0 ? "setpriv --reuid=postgres --regid=postgres --init-groups -- " : ""
        if getuid() == 0 { _ = try await Shell.run("chown postgres \(Tmux.quote(directory))") }
        let data = directory + "/data"
        let initdb = try await Shell.run(
            "\(asUser)\(bin)/initdb -D \(Tmux.quote(data)) -U hoist --auth=trust -E UTF8 --locale=C.UTF-8")
        guard initdb.status == 0 else { throw ChildProcessError(description: "initdb failed: \(initdb.stderr)") }
        for _ in 0..<8 {
            // Below the ephemeral range, as for moto: no port-0 server can take it meanwhile.
            let port = Int.random(in: 20000..<30000)
            let server = "\(asUser)\(bin)/postgres -D \(Tmux.quote(data)) -p \(port) -k \(Tmux.quote(directory)) "
                + "-c listen_addresses=127.0.0.1 -c max_connections=400"
            // SIGQUIT is PostgreSQL's immediate shutdown: the postmaster takes its backends along.
            let watchdog = "\(server) > \(Tmux.quote(directory))/log 2>&1 & pg=$!; trap 'kill -QUIT $pg 2>/dev/null' EXIT INT TERM; "
                + "while kill -0 \(getpid()) 2>/dev/null && kill -0 $pg 2>/dev/null; do sleep 1; done"
            let process = try await Spawned("/bin/sh", ["-c", watchdog])
            let url = "postgres://hoist@127.0.0.1:\(port)/postgres"
            let up = await waitUntil(timeout: 30) {
                if !process.isRunning { return true }
                return (try? await Shell.run("psql -q \(Tmux.quote(url)) -c 'SELECT 1'"))?.status == 0
            }
            if up, process.isRunning {
                pid.withLock { $0 = process.processIdentifier }
                atexit { TestPostgres.pid.withLock { if $0 > 0 { kill($0, SIGTERM) } } }
                return url
            }
            process.send(SIGTERM)
        }
        throw ChildProcessError(description: "PostgreSQL did not start on any of 8 ports")
    }
}
