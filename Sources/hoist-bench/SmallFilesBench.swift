import Foundation
import NIOCore

/// Many small files, full lifecycle (create, PUT, complete): one `hoist upload DIR` beside a
/// curl loop of the same three calls per file, run `curlParallel` at once by `xargs -P`.
struct SmallFilesBench: Sendable {
    let plan: BenchPlan
    let workspace: BenchWorkspace
    let hoist: HoistChild
    /// Runs just before hoist's timed run (`--wan` starts the API relay's trace here).
    var beforeHoist: @Sendable () throws -> Void = {}

    struct Result: Sendable {
        var files: Int
        var hoist: Duration
        var curl: Duration
        var hoistPeakRSS: Int64
        /// Client CPU time (user + system): hoist's process; the whole curl loop's.
        var hoistCPU: Duration
        var curlCPU: Duration
        /// The bench process's CPU (the in-process server, mostly) during hoist's run.
        var serverCPU: Duration = .zero
        /// The server's own time over hoist's requests, from its `/metrics` (nil if it has none).
        var serverTime: ServerRequestTime?
        /// When hoist's run began and ended, as `NIODeadline.uptimeNanoseconds` (a relay's trace is read over it).
        var hoistWindow: ClosedRange<UInt64>?

        /// hoist's time per call, from its rate: `jobs` lifecycles at once, three calls each.
        func timePerCall(jobs: Int) -> Duration { hoist * (Double(jobs) / Double(max(files, 1)) / 3) }
    }

    func run(log: (String) -> Void) async throws -> Result {
        // A directory of its own each time (the shared and the pinned half share a
        // workspace), kept until the workspace goes: see `BenchWorkspace.removeLargeFiles`.
        let directory = workspace.sourceDirectory + "/small-" + UUID().uuidString.prefix(8).lowercased()
        let paths = try Self.writeFiles(in: directory, count: plan.smallFileCount, bytes: plan.smallFileBytes)

        let curl = try await curlLoop(paths)
        log("small files: curl loop \(Report.seconds(curl.elapsed)) (CPU \(Report.seconds(curl.cpu)))")
        // Read outside the CPU window: the scrapes are the bench's, not hoist's.
        let timeBefore = await ServerRequestTime.scrape(workspace, name: "before")
        try beforeHoist()
        let serverBefore = CPUPinning.processCPU()
        let started = NIODeadline.now().uptimeNanoseconds
        let result = try await hoist.upload([directory], jobs: plan.hoistJobs, run: "small")
        let ended = NIODeadline.now().uptimeNanoseconds
        let serverCPU = CPUPinning.processCPU() - serverBefore
        let timeAfter = await ServerRequestTime.scrape(workspace, name: "after")
        guard result.completed == paths.count else {
            throw BenchError("hoist completed \(result.completed) of \(paths.count) small files")
        }
        log("small files: hoist \(Report.seconds(result.outcome.elapsed)) (CPU \(Report.seconds(result.outcome.cpu)))" + result.retried)
        return Result(files: paths.count, hoist: result.outcome.elapsed, curl: curl.elapsed, hoistPeakRSS: result.outcome.peakRSS,
                      hoistCPU: result.outcome.cpu, curlCPU: curl.cpu, serverCPU: serverCPU,
                      serverTime: timeAfter.flatMap { after in timeBefore.map { after - $0 } }, hoistWindow: started...ended)
    }

    /// `xargs -0 -P N -n 2 bash lifecycle.sh` over (size, path) pairs; xargs exits 123 if
    /// any file's script failed, so a fast but broken loop cannot pass for a result.
    private func curlLoop(_ paths: [String]) async throws -> ChildProcess.Outcome {
        let script = workspace.root + "/lifecycle.sh"
        let list = workspace.root + "/small-files.list"
        try CurlPeer.lifecycleScript.write(toFile: script, atomically: true, encoding: .utf8)
        try Data(paths.map { "\(plan.smallFileBytes)\0\($0)\0" }.joined().utf8).write(to: URL(fileURLWithPath: list))
        let child = workspace.client("xargs", ["-0", "-a", list, "-P", String(plan.curlParallel), "-n", "2", "bash", script],
                                     run: "curl", name: "curl-small", timeout: plan.childTimeout)
        let outcome = try await child.run()
        guard outcome.succeeded else {
            let errors = (try? String(contentsOfFile: child.stderrPath, encoding: .utf8)) ?? ""
            throw BenchError("the curl loop failed (\(outcome.summary)): \(errors.suffix(500))")
        }
        return outcome
    }

    /// `count` files of `bytes` each, all different, named so they sort in creation order.
    static func writeFiles(in directory: String, count: Int, bytes: Int) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var rng = SystemRandomNumberGenerator()
        var paths: [String] = []
        for index in 0..<count {
            let path = directory + "/" + String(format: "file-%05d.txt", index)
            let content = Data((0..<bytes).map { _ in UInt8.random(in: 0x21...0x7e, using: &rng) })
            guard FileManager.default.createFile(atPath: path, contents: content) else { throw BenchError("cannot create \(path)") }
            paths.append(path)
        }
        return paths
    }
}
