import Foundation
import HoistAgent
import HoistEngine
import HoistServer

/// Everything one bench run owns: a directory under the system temp dir (server data,
/// source files, the children's XDG dirs and output) and the server on it: in-process, or
/// (`--wan`) a `hoist serve` the bench started elsewhere.
struct BenchWorkspace: Sendable {
    /// The environment variable the children read the API key from.
    static let keyVariable = "HOIST_BENCH_API_KEY"

    let root: String
    /// The in-process server; nil when the server is a child process (`--wan`).
    let server: UploadServer?
    /// The API's base URL, as the clients reach it.
    let endpoint: String
    let apiKey: String
    /// CPUs the clients run on (`--pinned`: `1`, the server keeping CPU 0); nil: anywhere.
    var clientCPUs: String?
    /// The network namespace the clients run in (`--wan`: the client's end of the link);
    /// nil: the bench's own.
    var clientNamespace: String?

    var sourceDirectory: String { root + "/source" }
    var outputDirectory: String { root + "/out" }

    /// Makes the directory and starts the real server on 127.0.0.1, port 0, with a key that
    /// can create and read files.
    static func make() async throws -> BenchWorkspace {
        let root = NSTemporaryDirectory().trimmingSuffix("/") + "/hoist-bench-" + UUID().uuidString.prefix(8).lowercased()
        try makeDirectories(root)
        do {
            let data = root + "/server"
            let key = try await KeyAdmin(dataDirectory: data).createKey(scopes: ["files:create", "files:read"])
            var config = ServerConfiguration(dataDirectory: data)
            config.host = "127.0.0.1"
            config.port = 0
            let server = try await UploadServer.start(config)
            return BenchWorkspace(root: root, server: server, endpoint: server.baseURL, apiKey: key)
        } catch {
            try? FileManager.default.removeItem(atPath: root)
            throw error
        }
    }

    /// A workspace whose server runs elsewhere: the directories only, under `root`.
    static func remote(root: String, endpoint: String, apiKey: String, clientNamespace: String?) throws -> BenchWorkspace {
        try makeDirectories(root)
        return BenchWorkspace(root: root, server: nil, endpoint: endpoint, apiKey: apiKey, clientNamespace: clientNamespace)
    }

    /// The layout every workspace has (`server` is the server's data directory).
    private static func makeDirectories(_ root: String) throws {
        for dir in [root + "/server", root + "/source", root + "/out", root + "/xdg/config", root + "/xdg/data"] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
    }

    /// A client child (`hoist`, curl, the curl loop) placed where this workspace runs its
    /// clients (their CPUs, their namespace), with `childEnvironment(run:)`; its stdout and
    /// stderr go to `out/NAME.out` and `out/NAME.err` unless `stdoutPath` says otherwise.
    func client(_ executable: String, _ arguments: [String], run: String, name: String, timeout: Duration,
                stdoutPath: String? = nil) -> ChildProcess {
        let out = outputDirectory + "/" + name
        return ChildProcess(executable: executable, arguments: arguments, environment: childEnvironment(run: run),
                            stdoutPath: stdoutPath ?? out + ".out", stderrPath: out + ".err", timeout: timeout,
                            cpus: clientCPUs, namespace: clientNamespace)
    }

    /// Runs `body`, then (when `background`) stops the background engine of run `run`'s
    /// journal, whether `body` threw or not, waiting for `hoist stop --now`: the next row
    /// must not share the machine with it.
    func stoppingEngine<T>(if background: Bool, _ executable: String, run: String, _ body: () async throws -> T) async throws -> T {
        let result: Result<T, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        if background { _ = try? await client(executable, ["stop", "--now"], run: run, name: run + "-stop", timeout: .seconds(60)).run() }
        return try result.get()
    }

    /// The pid of the background engine of run `run`'s journal, if one runs (its lock's holder).
    func enginePID(run: String) -> pid_t? {
        let environment = childEnvironment(run: run)
        return EngineLock.holder(AgentPaths(journal: EngineConfiguration.defaultJournalPath(environment: environment), environment: environment))
    }

    /// The environment of a child: the key in its variable, and XDG dirs inside the
    /// workspace, so no user config or journal is read or written. Each `run` gets a journal
    /// of its own: a second upload of the same file must upload, not resume as completed.
    func childEnvironment(run: String) -> [String: String] {
        var env: [String: String] = [:]
        let inherited = ProcessInfo.processInfo.environment
        for name in ["PATH", "HOME", "LANG", "TMPDIR"] { env[name] = inherited[name] }
        // The rows measure hoist with its engine in the measured process (peak RSS and CPU
        // are that process's); the terminal bench's attached rows ask for the background one.
        env["HOIST_ENGINE"] = "foreground"
        env[Self.keyVariable] = apiKey
        env["HOIST_BENCH_ENDPOINT"] = endpoint
        env["XDG_CONFIG_HOME"] = root + "/xdg/config"
        env["XDG_STATE_HOME"] = root + "/xdg/state-" + run
        env["XDG_DATA_HOME"] = root + "/xdg/data"
        return env
    }

    /// Deletes the files of at least `bytes` under `directory` (the large file's source and
    /// blobs), to give their space back, and leaves the small ones.
    ///
    /// The bench deletes many small files only when it ends: on ext4 without a journal (this
    /// machine's disk) the kernel will not reuse an inode freed in the last minute (six while
    /// its table is unwritten), and a file created near them scans past all of them. Measured
    /// with `hoist serve` and 2,000 × 4 KiB on loopback: 3.9–4.2 ms of server CPU a file when
    /// the last run's directory had just been deleted and made again, 2.2–2.7 ms in new
    /// directories (4–5 runs each). A few large files free few inodes.
    static func removeLargeFiles(under directory: String, atLeast bytes: Int64 = 1 << 20) {
        guard let walk = FileManager.default.enumerator(atPath: directory) else { return }
        while let name = walk.nextObject() as? String {
            let path = directory + "/" + name
            var info = stat()
            if lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, Int64(info.st_size) >= bytes { unlink(path) }
        }
    }

    /// Stops the in-process server (if any) and deletes the whole directory.
    func tearDown() async {
        try? await server?.shutdown()
        try? FileManager.default.removeItem(atPath: root)
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
