import Foundation

/// `hoist-bench --wan`: hoist against curl across a WAN made on this machine, one profile
/// at a time. The server's namespace runs `hoist serve` on its loopback, the discard sink
/// beside it, and a delaying relay in front of each on the veth address; the client's
/// namespace runs every client. Each profile measures, side by side: a request's round
/// trip, the link's capacity (curl to the sink), the large file (hoist and `curl -T`) and
/// the small files (hoist and the curl loop).
struct WANBench: Sendable {
    let plan: BenchPlan
    /// The `hoist` measured, which also serves (`hoist serve`).
    let executable: String
    var profiles = WANProfile.all
    /// Everything the run writes; removed at the end, and on Ctrl-C.
    let root = NSTemporaryDirectory().trimmingSuffix("/") + "/hoist-bench-wan-\(getpid())"

    // Fixed ports: the namespace is the run's own, nothing else can hold them.
    private static let serverPort = 9000
    private static let sinkPort = 9001
    private static let apiRelayPort = 8000
    private static let sinkRelayPort = 8001

    struct Result: Sendable {
        var profile: WANProfile
        var jobs: Int
        /// A small request through the sink's relay on a new connection, and again on it.
        var coldRequest: Duration
        var warmRequest: Duration
        var large: LargeFileBench.Result
        var small: SmallFilesBench.Result
        /// The same small files with `--jobs 4`, and with hoist's default (adaptive).
        var fixedFour: Duration
        var adaptive: Duration
        /// CPU the server's side used over the whole profile: `hoist serve`, the relays, the sink.
        var serverCPU: Duration?
        var relayCPU: Duration?
        /// hoist's small-file calls as the API's relay saw them (nil if its trace showed none).
        var relaySplit: RelayTrace.Split?
    }

    func run(log: @escaping @Sendable (String) -> Void) async throws -> [Result] {
        WANLink.removeStale(log: log)
        WANLink.tearDownOnInterrupt(owner: getpid(), directory: root, log: log)
        defer { try? FileManager.default.removeItem(atPath: root) }
        var results: [Result] = []
        do {
            for profile in profiles { results.append(try await measure(profile, log: log)) }
        } catch {
            // After Ctrl-C the killed children's failures land here; the interrupt's thread
            // is tearing down and owns the exit (130), so this one does not race it to exit 1.
            if WANLink.interrupted { try? await Task.sleep(for: .seconds(60)) }
            throw error
        }
        return results
    }

    private func measure(_ profile: WANProfile, log: @escaping @Sendable (String) -> Void) async throws -> Result {
        log("\(profile.name): tbf \(profile.bitsPerSecond) bit/s each way (burst \(profile.tbfBurstBytes) B, "
            + "queue \(profile.tbfLimitBytes) B); relay \(Double(profile.rttMilliseconds) / 2) ms each way, holding ≤ \(profile.relayHoldBytes) B")
        let link = try WANLink.up(profile)
        defer { link.down() }
        let directory = root + "/\(profile.bitsPerSecond / 1_000_000)mbit-\(profile.rttMilliseconds)ms"
        // The small files stay until the run ends (`run` removes the root): deleting
        // thousands of them here would slow the next profile's file creation.
        defer { BenchWorkspace.removeLargeFiles(under: directory) }
        // The workspace's layout puts the server's data in `server` (keys create makes it).
        let data = directory + "/server"
        let key = try WANLink.run([executable, "keys", "create", "--data", data, "--scopes", "files:create,files:read"])
        let serverAddress = WANLink.serverAddress
        let workspace = try BenchWorkspace.remote(root: directory, endpoint: "http://\(serverAddress):\(Self.apiRelayPort)",
                                                  apiKey: key, clientNamespace: link.clientNamespace)

        // The server's side, each child in the server's namespace, each ready when it has said so.
        // This binary is also the relay and the sink (`hoist-bench relay`, `sink`).
        let bench = try ChildProcess.benchExecutable()
        let relay = [bench, "relay", "--delay-us", String(profile.rttMilliseconds * 500), "--hold-bytes", String(profile.relayHoldBytes)]
        let apiTrace = workspace.outputDirectory + "/relay-api.trace"
        var children: [(name: String, process: ServeProcess)] = []
        defer { for child in children.reversed() { child.process.stop() } }
        for (name, command) in [
            ("serve", [executable, "serve", "--data", data, "--host", "127.0.0.1", "--port", String(Self.serverPort),
                       "--public-url", workspace.endpoint]),
            ("sink", [bench, "sink", "--listen", "127.0.0.1:\(Self.sinkPort)"]),
            ("relay-api", relay + ["--listen", "\(serverAddress):\(Self.apiRelayPort)", "--target", "127.0.0.1:\(Self.serverPort)",
                                   "--trace", apiTrace]),
            ("relay-sink", relay + ["--listen", "\(serverAddress):\(Self.sinkRelayPort)", "--target", "127.0.0.1:\(Self.sinkPort)"]),
        ] {
            let process = try ServeProcess.launch("ip", ["netns", "exec", link.serverNamespace] + command, environment: [:],
                                                  stderrPath: workspace.outputDirectory + "/\(name).err")
            children.append((name, process))
            log("\(profile.name): \(name): \(try process.firstLine())")
        }

        let sinkURL = "http://\(serverAddress):\(Self.sinkRelayPort)/sink"
        let (cold, warm) = try await roundTrips(workspace, url: sinkURL)
        log("\(profile.name): a request takes \(Self.milliseconds(cold)) on a new connection, \(Self.milliseconds(warm)) on a warm one")
        let hoist = HoistChild(executable: executable, workspace: workspace, timeout: plan.childTimeout)
        var largeBench = LargeFileBench(plan: plan, workspace: workspace, hoist: hoist)
        largeBench.sinkURL = sinkURL
        let large = try await largeBench.run(log: { log("\(profile.name): " + $0) })
        // The API relay traces only connections opened while its trace file exists: hoist's
        // small-file run's, so the large files and the curl loop pay nothing for it.
        var smallBench = SmallFilesBench(plan: plan, workspace: workspace, hoist: hoist)
        smallBench.beforeHoist = {
            guard FileManager.default.createFile(atPath: apiTrace, contents: nil) else { throw BenchError("cannot create \(apiTrace)") }
        }
        let small = try await smallBench.run(log: { log("\(profile.name): " + $0) })
        let traced = try? String(contentsOfFile: apiTrace, encoding: .utf8)
        try? FileManager.default.removeItem(atPath: apiTrace)
        let relaySplit = small.hoistWindow.flatMap { window in
            traced.flatMap { RelayTrace.split($0, delay: .milliseconds(profile.rttMilliseconds) / 2, window: window) }
        }
        let defaults = try await defaultJobs(plan: plan, workspace: workspace, hoist: hoist, log: { log("\(profile.name): " + $0) })

        func cpu(_ names: [String]) -> Duration? {
            let used = children.filter { names.contains($0.name) }.map(\.process.cpu)
            return used.contains { $0 == nil } ? nil : used.compactMap { $0 }.reduce(.zero, +)
        }
        return Result(profile: profile, jobs: plan.hoistJobs, coldRequest: cold, warmRequest: warm, large: large, small: small,
                      fixedFour: defaults.fixed, adaptive: defaults.adaptive,
                      serverCPU: cpu(["serve"]), relayCPU: cpu(["relay-api", "relay-sink"]), relaySplit: relaySplit)
    }

    /// The small files again as a user runs them, without `--jobs`: hoist's default, which
    /// adapts its concurrency, beside `--jobs 4`, the fixed default it replaced. The gain is
    /// what adapting buys on this link.
    private func defaultJobs(plan: BenchPlan, workspace: BenchWorkspace, hoist: HoistChild,
                             log: (String) -> Void) async throws -> (fixed: Duration, adaptive: Duration) {
        let directory = workspace.sourceDirectory + "/defaults"
        let paths = try SmallFilesBench.writeFiles(in: directory, count: plan.smallFileCount, bytes: plan.smallFileBytes)
        var times: [Duration] = []
        for (jobs, run) in [(Optional(4), "fixed-4"), (nil, "adaptive")] {
            let result = try await hoist.upload([directory], jobs: jobs, run: run)
            guard result.completed == paths.count else { throw BenchError("hoist (\(run)) completed \(result.completed) of \(paths.count)") }
            log("small files, \(run): \(Report.seconds(result.outcome.elapsed))" + result.retried)
            times.append(result.outcome.elapsed)
        }
        return (times[0], times[1])
    }

    /// Four GETs of `url` with one curl (one connection): the first pays the handshake the
    /// relay adds, the others show the round trip alone (the fastest of them counts).
    private func roundTrips(_ workspace: BenchWorkspace, url: String) async throws -> (Duration, Duration) {
        let child = workspace.client("curl", ["-sS", "-f", "-w", "%{time_total}\\n"] + Array(repeating: ["-o", "/dev/null", url], count: 4).flatMap { $0 },
                                     run: "curl", name: "curl-round-trip", timeout: .seconds(30))
        let outcome = try await child.run()
        let times = ((try? String(contentsOfFile: child.stdoutPath, encoding: .utf8)) ?? "")
            .split(separator: "\n").compactMap { Double($0) }.map { Duration.microseconds(Int64($0 * 1e6)) }
        guard outcome.succeeded, times.count == 4, let cold = times.first, let warm = times.dropFirst().min() else {
            throw BenchError("curl through the relay to the sink failed (\(outcome.summary)); see \(child.stderrPath)")
        }
        return (cold, warm)
    }

    static func milliseconds(_ duration: Duration) -> String { String(format: "%.1f ms", duration.seconds * 1000) }
}
