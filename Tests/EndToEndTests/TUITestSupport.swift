import Foundation
import HoistTestSupport
import Synchronization

/// A server the TUI tests point hoist at: in-process (`TestServer`) or a `hoist serve` process.
protocol TUIServer: Sendable {
    var baseURL: String { get }
    var key: String { get }
}

extension TestServer: TUIServer {}

/// `hoist serve` as its own process, with its own data directory and a key: for tests whose
/// measurements must not share a process (and its starved thread pool) with the suite.
struct ServeProcess: TUIServer {
    let child: ChildProcess
    let baseURL: String
    let key: String
    let dataDirectory: String

    static func with<T>(_ body: (ServeProcess) async throws -> T) async throws -> T {
        let dir = try TempDirectory.make(prefix: "hoist-serve-process")
        let (child, base) = try await ServeProcessTests.serve(dir)
        let served = ServeProcess(child: child, baseURL: base, key: try await ServeProcessTests.makeKey(dir), dataDirectory: dir)
        return try await withAwaitedCleanup(served, cleanup: { served in
            served.child.send(SIGTERM)
            _ = await served.child.waitForExit()
            try? FileManager.default.removeItem(atPath: served.dataDirectory)
        }, body)
    }
}

/// The real `hoist` TUI in tmux, pointed at a test server, with a home of its own.
struct TUIRun {
    let server: any TUIServer
    let home: String
    let files: String
    let tmux: Tmux

    /// Runs `body` with hoist started in tmux (see `start`) and awaits the tmux server's end,
    /// even when `body` throws.
    @discardableResult
    static func with<T>(server: any TUIServer, files: String, home: String? = nil, extra: [String] = [],
                        columns: Int = 100, rows: Int = 30, environment: [String: String] = [:],
                        endpoint: String? = nil, prefix: [String] = [],
                        _ body: (TUIRun) async throws -> T) async throws -> T {
        let run = try await start(server: server, files: files, home: home, extra: extra, columns: columns, rows: rows,
                                  environment: environment, endpoint: endpoint, prefix: prefix)
        return try await withAwaitedCleanup(run, cleanup: { await $0.tmux.kill() }, body)
    }

    /// Starts `hoist FILES --endpoint … --dialect lightfield --api-key-env HOIST_TEST_KEY extra…`
    /// (`endpoint` instead of the server's, `prefix` before the binary, e.g. `setpriv …`);
    /// the caller must await `tmux.kill()` on every path. Prefer `with`.
    static func start(server: any TUIServer, files: String, home: String? = nil, extra: [String] = [],
                      columns: Int = 100, rows: Int = 30, environment: [String: String] = [:],
                      endpoint: String? = nil, prefix: [String] = []) async throws -> TUIRun {
        let home = try home ?? TempDirectory.make(prefix: "hoist-tui-home")
        var env = [
            "HOME": home, "XDG_CONFIG_HOME": home + "/config", "XDG_DATA_HOME": home + "/data",
            "XDG_STATE_HOME": home + "/state", "LANG": "C.UTF-8", "TERM": "xterm-256color", "HOIST_TEST_KEY": server.key,
            // The in-process engine, as before the background engine: these tests are about the
            // view. BackgroundEngineTests run the background one (HOIST_ENGINE=background).
            "HOIST_ENGINE": "foreground",
        ]
        env.merge(environment) { $1 }
        let assignments = env.sorted { $0.key < $1.key }.map { "\($0.key)=\(Tmux.quote($0.value))" }.joined(separator: " ")
        let arguments = [files, "--endpoint", endpoint ?? server.baseURL, "--dialect", "lightfield", "--api-key-env", "HOIST_TEST_KEY"] + extra
        let program = (prefix + [try HoistBinary.require()]).map(Tmux.quote).joined(separator: " ")
        let command = "env \(assignments) \(program) " + arguments.map(Tmux.quote).joined(separator: " ")
        let tmux = try await Tmux(command, columns: columns, rows: rows)
        return TUIRun(server: server, home: home, files: files, tmux: tmux)
    }

    /// Pauses (`p`), marks all `count` files of the directory (`a`) and queues them (`u`),
    /// returning once the status line counts every one (`0/count done`).
    func queueAllPaused(count: Int, first name: String) async throws {
        try await tmux.wait(for: name)
        try await tmux.send("p")
        try await tmux.wait(for: "paused: no new upload starts")
        try await tmux.send("a")
        try await tmux.wait(for: "\(count) marked")
        try await tmux.send("u")
        try await tmux.wait(for: "0/\(count) done", timeout: 60)
    }

    /// Runs `body` with hoist uploading one 4 MB file at 200 KB/s (about 20 s), a transfer
    /// to interrupt; awaits the tmux server's end as `with` does.
    @discardableResult
    static func slowUpload<T>(server: TestServer, _ body: (TUIRun) async throws -> T) async throws -> T {
        try await with(server: server, files: try makeFiles([("slow.bin", 4_000_000)]), extra: ["--limit-rate", "200K"]) { run in
            try await run.tmux.wait(for: "slow.bin")
            try await run.tmux.send("u")
            try await run.tmux.wait(for: "uploading")
            return try await body(run)
        }
    }

    /// The pid of the hoist process (its files directory is unique to this run).
    func pid() async throws -> Int32 {
        let result = try await Shell.run("pgrep -f -- \(Tmux.quote("hoist " + files + " --endpoint"))")
        guard let pid = result.stdout.split(separator: "\n").first.flatMap({ Int32($0) }) else {
            throw ChildProcessError(description: "no hoist process for \(files)")
        }
        return pid
    }
}

/// A directory of files with given sizes and random contents.
func makeFiles(_ specs: [(String, Int)]) throws -> String {
    let dir = try TempDirectory.make(prefix: "hoist-tui-files")
    for (name, size) in specs {
        try TestBytes.write(dir + "/" + name, count: size)
    }
    return dir
}

/// The server's files named `name`, as metadata objects.
func serverFiles(_ server: TestServer, named name: String? = nil) async throws -> [[String: Any]] {
    let list = try await LightfieldCalls(baseURL: server.baseURL, key: server.key).list("?limit=1000")
    let rows = (list.json["data"] as? [[String: Any]]) ?? []
    return rows.filter { name == nil || $0["filename"] as? String == name }
}


/// `setpriv` arguments that run hoist as root without the capabilities that let root read
/// any file, so that mode 000 means unreadable; none when not root. `nil` when root has no
/// setpriv to drop them with.
func withoutReadOverride() -> [String]? {
    guard getuid() == 0 else { return [] }
    let setpriv = "/usr/bin/setpriv"
    guard FileManager.default.isExecutableFile(atPath: setpriv) else { return nil }
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search", "--"]
}

/// The queue's half of each screen line (right of the browser's border).
func queueHalf(_ screen: String) -> [String] {
    screen.split(separator: "\n").map { String($0.components(separatedBy: "││").last ?? "") }
}

/// The seconds since the job was queued (the engine's clock) of the first history line in
/// the detail overlay that contains `text`: what the product measured, not a crowded
/// machine's delays in tmux and in the test.
func historyOffset(of text: String, in screen: String) -> Double? {
    for line in screen.split(separator: "\n") where line.contains(text) {
        if let match = line.firstMatch(of: #/\+(\d+\.\d+)s  /#) { return Double(match.1) }
    }
    return nil
}

/// How long a cancel may take, read from a row's detail history: the second the issue
/// names, or twice the longest of two round trips to the same server when one took
/// longer than half of that: the row's own session create, and `slowest`, the slowest
/// request (a read or a durable write) the test made to the server while the cancel ran
/// (see ``slowestRoundTrip``).
/// The cancel is one round trip (the server's answer comes before `cancelled`); in CI the
/// test server runs inside a test process busy with every other suite, where one create
/// took 2.5 s and a stall seconds later made the cancel take 7.6: the create alone does
/// not see a stall that comes after it. A cancel that waited for anything else (the
/// PUT's end, a progress tick, a retry) still fails it.
func cancelAllowance(_ details: String, slowest: Double) -> Double? {
    guard let creating = historyOffset(of: "creating a session", in: details),
          let session = historyOffset(of: "s  session ", in: details) else { return nil }
    return max(1, 2 * (session - creating), 2 * slowest)
}

/// Runs `body` while requests go to `server` one after another, and returns its value with
/// the slowest of their round trips in seconds: what the machine's load did to one request
/// to that server at the moment being measured. They alternate a read (the list) and a
/// write committed to the disk before its answer (a create, named `probe.txt`), as a
/// cancel's is: in CI a loaded disk's sync made a cancel take 1.4 s while no read took
/// more than 0.6.
func slowestRoundTrip<T>(to server: TestServer, during body: () async throws -> T) async throws -> (T, Double) {
    let slowest = Mutex(0.0)
    let calls = LightfieldCalls(baseURL: server.baseURL, key: server.key)
    let probe = Task {
        var writing = false
        while !Task.isCancelled {
            let start = ContinuousClock.now
            if writing { _ = try? await calls.create(filename: "probe.txt", sizeBytes: 1) } else { _ = try? await serverFiles(server) }
            writing.toggle()
            let seconds = (ContinuousClock.now - start) / .seconds(1)
            slowest.withLock { $0 = max($0, seconds) }
            try? await Task.sleep(for: .milliseconds(25))
        }
    }
    defer { probe.cancel() }
    let value = try await body()
    probe.cancel()
    await probe.value
    return (value, slowest.withLock { $0 })
}
