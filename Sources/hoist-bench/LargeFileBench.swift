import AsyncHTTPClient
import Foundation
import HoistEngine

/// One large file: `hoist upload` (create → PUT → complete) beside `curl -T` of the same
/// file to a signed upload URL of the same server, both as child processes.
struct LargeFileBench: Sendable {
    let plan: BenchPlan
    let workspace: BenchWorkspace
    let hoist: HoistChild

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
    }

    func run(log: (String) -> Void) async throws -> Result {
        let path = workspace.sourceDirectory + "/large.bin"
        try Self.writeFile(path, bytes: plan.largeFileBytes)
        let api = UploadAPI(
            profile: Profile(name: "bench", dialect: .lightfield, endpoint: workspace.endpoint, apiKeyEnv: nil, purpose: "general"),
            key: APIKey(workspace.apiKey), client: .shared)
        var hoistBest: ChildProcess.Outcome?
        var curlBest: ChildProcess.Outcome?
        var peak: Int64 = 0
        var serverCPU: Duration = .zero
        // Alternate the sides so that neither always runs on a warmer (or busier) disk.
        for round in 1...plan.largeFileRounds {
            let curl = try await curlUpload(path, api: api, round: round)
            if curl.elapsed < curlBest?.elapsed ?? .seconds(Int64.max) { curlBest = curl }
            log("large file, round \(round): curl \(Report.seconds(curl.elapsed)) (CPU \(Report.seconds(curl.cpu)))")
            let serverBefore = CPUPinning.processCPU()
            let result = try await hoist.upload([path], jobs: 1, run: "large-\(round)")
            let serverUsed = CPUPinning.processCPU() - serverBefore
            guard result.completed == 1 else { throw BenchError("hoist did not complete the large file") }
            if result.outcome.elapsed < hoistBest?.elapsed ?? .seconds(Int64.max) {
                hoistBest = result.outcome
                serverCPU = serverUsed
            }
            peak = max(peak, result.outcome.peakRSS)
            log("large file, round \(round): hoist \(Report.seconds(result.outcome.elapsed)) (CPU \(Report.seconds(result.outcome.cpu))), peak RSS \(Report.mebibytes(result.outcome.peakRSS))")
        }
        try? FileManager.default.removeItem(atPath: path)
        guard let hoistBest, let curlBest else { throw BenchError("no large-file round ran") }
        return Result(bytes: plan.largeFileBytes, hoist: hoistBest.elapsed, curl: curlBest.elapsed, hoistPeakRSS: peak,
                      hoistCPU: hoistBest.cpu, curlCPU: curlBest.cpu, serverCPU: serverCPU)
    }

    /// Creates a session over HTTP (not timed), then times `curl -T` to its upload URL with
    /// exactly its `uploadHeaders`. The PUT's 200 is the server's word that it stored and
    /// fsynced every declared byte.
    private func curlUpload(_ path: String, api: UploadAPI, round: Int) async throws -> ChildProcess.Outcome {
        let session = try await api.createSession(name: "large-curl-\(round).bin", size: plan.largeFileBytes,
                                                  mimeType: "application/octet-stream")
        let out = workspace.outputDirectory + "/curl-large-\(round)"
        let child = ChildProcess(
            executable: "curl",
            arguments: CurlPeer.putArguments(
                file: path, url: session.uploadURL, headers: session.uploadHeaders.map { ($0.name, $0.value) }),
            environment: workspace.childEnvironment(run: "curl"),
            stdoutPath: out + ".out", stderrPath: out + ".err", timeout: plan.childTimeout, cpus: workspace.clientCPUs)
        let outcome = try await child.run()
        guard outcome.succeeded else {
            let errors = (try? String(contentsOfFile: out + ".err", encoding: .utf8)) ?? ""
            throw BenchError("curl -T failed (\(outcome.summary)): \(errors.suffix(500))")
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
