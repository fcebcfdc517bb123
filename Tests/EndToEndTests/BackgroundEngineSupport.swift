import Foundation
import HoistTestSupport

/// A home whose `hoist` runs the background engine (its socket beside the journal, so
/// every test has its own engine), stopped with `hoist stop --now` however the test ends.
struct BackgroundHome: Sendable {
    let home: String
    let server: TestServer
    /// `$XDG_RUNTIME_DIR`, where the socket then lives (`hoist/engine-*.sock`); none: beside the journal.
    var runtimeDirectory: String?

    /// What a hoist of this home runs with.
    var environment: [String: String] {
        [
            "HOME": home, "XDG_CONFIG_HOME": home + "/config", "XDG_DATA_HOME": home + "/data", "XDG_STATE_HOME": home + "/state",
            "XDG_RUNTIME_DIR": runtimeDirectory ?? "", "LANG": "C.UTF-8", "HOIST_TEST_KEY": server.key, "HOIST_ENGINE": "background",
        ]
    }

    /// The flags that point hoist at the test server.
    var endpoint: [String] { ["--endpoint", server.baseURL, "--dialect", "lightfield", "--api-key-env", "HOIST_TEST_KEY"] }

    /// `runtime`: give it a `$XDG_RUNTIME_DIR` (inside the home).
    static func with<T>(server: TestServer, runtime: Bool = false, _ body: (BackgroundHome) async throws -> T) async throws -> T {
        let directory = try TempDirectory.make(prefix: "hoist-bg-home")
        let home = BackgroundHome(home: directory, server: server, runtimeDirectory: runtime ? directory + "/run" : nil)
        return try await withAwaitedCleanup(home, cleanup: { await $0.stopEngine() }, body)
    }

    /// Writes this home's `config.toml` (read by every hoist it runs, and by an engine as it starts).
    func writeConfig(_ toml: String) throws {
        try FileManager.default.createDirectory(atPath: home + "/config/hoist", withIntermediateDirectories: true)
        try TestFiles.write(toml, to: home + "/config/hoist/config.toml")
    }

    /// The pid of the engine holding this home's journal lock, if one runs.
    var enginePID: Int32? {
        guard let text = try? String(contentsOfFile: home + "/state/hoist/journal.sqlite.engine.lock", encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), kill(pid, 0) == 0
        else { return nil }
        return pid
    }

    /// Waits until an engine other than `pid` holds the lock.
    func waitForEngine(other pid: Int32) async -> Bool {
        await waitUntil { enginePID.map { $0 != pid } ?? false }
    }

    /// Runs `hoist arguments…` to its end with this home's environment.
    func run(_ arguments: [String], timeout: TimeInterval = 60) async throws -> Shell.Result {
        try await Shell.run("timeout \(Int(timeout)) " + command(arguments))
    }

    /// `hoist arguments…` with this home's environment, as a shell command.
    func command(_ arguments: [String]) throws -> String {
        let assignments = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\(Tmux.quote($0.value))" }.joined(separator: " ")
        return "env \(assignments) \(Tmux.quote(try HoistBinary.require())) " + arguments.map(Tmux.quote).joined(separator: " ")
    }

    /// A child `hoist arguments…` whose stdout the test reads.
    func child(_ arguments: [String]) async throws -> ChildProcess {
        var environment = ProcessInfo.processInfo.environment
        environment.merge(self.environment) { $1 }
        return try await ChildProcess(try HoistBinary.require(), arguments, environment: environment)
    }

    /// Stops the engine now (cancelling what runs), and waits for it to go.
    func stopEngine() async {
        _ = try? await run(["stop", "--now"], timeout: 60)
        if let pid = enginePID { kill(pid, SIGKILL) }
    }

    /// `hoist jobs --json`, one dictionary per job.
    func jobs() async throws -> [[String: Any]] {
        let result = try await run(["jobs", "--json"], timeout: 60)
        return result.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// Bytes sent of the job uploading `name`, as the engine says.
    func sent(_ name: String) async throws -> Int64? {
        try await jobs().first { ($0["path"] as? String)?.hasSuffix("/" + name) == true }?["sent"] as? Int64
    }
}

/// The percentage the queue row of `name` shows (in the queue pane, after `││`), if any.
func shownPercent(of name: String, in screen: String) -> Int? {
    let queue = screen.split(separator: "\n").compactMap { $0.components(separatedBy: "││").dropFirst().last }
    guard let row = queue.first(where: { $0.contains(name) && $0.contains("%") }), let match = row.firstMatch(of: /(\d+)%/)
    else { return nil }
    return Int(match.1)
}
