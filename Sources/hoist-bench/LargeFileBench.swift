import Foundation

/// One large file: `hoist upload` (create → PUT → complete) beside `curl -T` of the same
/// file to a signed upload URL of the same server, both as child processes; with a sink,
/// also `curl -T` of the file to it, the capacity of the path (`--wan`).
struct LargeFileBench: Sendable {
    let plan: BenchPlan
    let workspace: BenchWorkspace
    let hoist: HoistChild
    /// A URL that takes any PUT and stores nothing (`DiscardSink`), measured each round
    /// before the two sides; nil: none.
    var sinkURL: String? = nil
    /// One untimed upload of the file before the rounds (see `run`).
    var warmUp = false

    /// The best of each side's rounds, and hoist's highest peak RSS.
    struct Result: Sendable {
        var bytes: Int64
        var hoist: Duration
        var curl: Duration
        var hoistPeakRSS: Int64
        /// Client CPU time (user + system) of the fastest round of each side.
        var hoistCPU: Duration
        var curlCPU: Duration
        /// The bench process's CPU (the in-process server, mostly) during hoist's fastest round.
        var serverCPU: Duration = .zero
        /// `curl -T` to the sink, the fastest round (with a sink).
        var capacity: Duration? = nil
    }

    func run(log: (String) -> Void) async throws -> Result {
        let path = workspace.sourceDirectory + "/large.bin"
        try Self.writeFile(path, bytes: plan.largeFileBytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var hoistBest: ChildProcess.Outcome?
        var curlBest: ChildProcess.Outcome?
        var capacity: Duration?
        var peak: Int64 = 0
        var serverCPU: Duration = .zero
        // This VM's disk takes the first GiB after a rest (with fsync) in 0.7 s and the next
        // ones in 4-8 s (dd, measured), so the server's fsync makes rounds disk-bound. Two
        // things keep that from deciding the ratio: one untimed upload first (a run's first
        // timed round was otherwise its only fast one: curl 2.74 s against 6-8 s for every
        // other), and the sides taking turns to go first (curl in odd rounds, hoist in even).
        if warmUp {
            let warm = try await curlToServer(path, name: "large-warm-up")
            log("large file, warm-up (untimed): curl \(Report.seconds(warm.elapsed))")
        }
        for round in 1...plan.largeFileRounds {
            if let sinkURL {
                let sink = try await curlPut(path, url: sinkURL, headers: [], name: "curl-sink-\(round)")
                capacity = min(capacity ?? sink.elapsed, sink.elapsed)
                log("large file, round \(round): curl to the sink \(Report.seconds(sink.elapsed)) (\(Report.megabytesPerSecond(plan.largeFileBytes, sink.elapsed)))")
            }
            func curlRound() async throws {
                let curl = try await curlToServer(path, name: "large-\(round)")
                if curl.elapsed < curlBest?.elapsed ?? .seconds(Int64.max) { curlBest = curl }
                log("large file, round \(round): curl \(Report.seconds(curl.elapsed)) (CPU \(Report.seconds(curl.cpu)))")
            }
            func hoistRound() async throws {
                let serverBefore = CPUPinning.processCPU()
                let result = try await hoist.upload([path], jobs: 1, run: "large-\(round)")
                let serverUsed = CPUPinning.processCPU() - serverBefore
                guard result.completed == 1 else { throw BenchError("hoist did not complete the large file") }
                if result.outcome.elapsed < hoistBest?.elapsed ?? .seconds(Int64.max) {
                    hoistBest = result.outcome
                    serverCPU = serverUsed
                }
                peak = max(peak, result.outcome.peakRSS)
                log("large file, round \(round): hoist \(Report.seconds(result.outcome.elapsed)) (CPU \(Report.seconds(result.outcome.cpu))), peak RSS \(Report.mebibytes(result.outcome.peakRSS))"
                    + result.outcome.aboveTarget + result.retried)
            }
            if round.isMultiple(of: 2) {
                try await hoistRound()
                try await curlRound()
            } else {
                try await curlRound()
                try await hoistRound()
            }
        }
        guard let hoistBest, let curlBest else { throw BenchError("no large-file round ran") }
        return Result(bytes: plan.largeFileBytes, hoist: hoistBest.elapsed, curl: curlBest.elapsed, hoistPeakRSS: peak,
                      hoistCPU: hoistBest.cpu, curlCPU: curlBest.cpu, serverCPU: serverCPU, capacity: capacity)
    }

    /// Times `curl -T` of the file into a new session of the server (created before timing).
    private func curlToServer(_ path: String, name: String) async throws -> ChildProcess.Outcome {
        let session = try await CurlPeer.createSession(in: workspace, name: name + "-curl.bin", size: plan.largeFileBytes)
        return try await curlPut(path, url: session.url, headers: session.headers, name: "curl-" + name)
    }

    /// Times `curl -T` of the file to `url` with exactly `headers` (for the server, the
    /// session's `uploadHeaders`; the session is created before timing). The PUT's 200 is
    /// the server's word that it stored and fsynced every declared byte.
    private func curlPut(_ path: String, url: String, headers: [(String, String)], name: String) async throws -> ChildProcess.Outcome {
        let child = workspace.client("curl", CurlPeer.putArguments(file: path, url: url, headers: headers),
                                     run: "curl", name: name, timeout: plan.childTimeout)
        let outcome = try await child.run()
        guard outcome.succeeded else {
            let errors = (try? String(contentsOfFile: child.stderrPath, encoding: .utf8)) ?? ""
            throw BenchError("curl -T \(url) failed (\(outcome.summary)): \(errors.suffix(500))")
        }
        return outcome
    }

    /// Writes `bytes` of varied data in 1 MiB writes (every MiB differs, so nothing on the
    /// way can shortcut repeated content).
    static func writeFile(_ path: String, bytes: Int64) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else { throw BenchError("cannot create \(path)") }
        defer { try? handle.close() }
        var rng = SystemRandomNumberGenerator()
        var block = [UInt8](repeating: 0, count: 1 << 20)
        for i in block.indices { block[i] = UInt8.random(in: 0...255, using: &rng) }
        var written: Int64 = 0
        var counter: UInt64 = 0
        while written < bytes {
            counter += 1
            withUnsafeBytes(of: counter) { stamp in
                for (i, byte) in stamp.enumerated() { block[i] = byte }
            }
            let count = Int(min(Int64(block.count), bytes - written))
            try handle.write(contentsOf: block[0..<count])
            written += Int64(count)
        }
    }
}
