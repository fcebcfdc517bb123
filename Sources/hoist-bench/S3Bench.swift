import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One large file into an S3 bucket (moto's S3 server on loopback): `hoist upload` in the
/// s3 dialect as one PUT and as a multipart upload, beside `aws s3 cp` of the same file.
/// Every side is a child process; the bucket's object is checked (size) after each.
struct S3Bench: Sendable {
    let plan: BenchPlan
    let executable: String
    /// The S3 endpoint; nil starts moto_server on a free loopback port for the run.
    let endpoint: String?
    let directory: String

    struct Row: Sendable {
        var label: String
        var outcome: ChildProcess.Outcome
    }

    func run(log: @Sendable (String) -> Void) async throws -> [Row] {
        let (url, moto) = try await Self.server(endpoint, directory: directory, log: log)
        defer { if let moto { kill(moto.processIdentifier, SIGKILL) } }
        let bucket = "hoist-bench-\(UInt32.random(in: 0...UInt32.max))"
        try await Self.request(.PUT, url + "/" + bucket)
        let path = directory + "/s3-large.bin"
        try LargeFileBench.writeFile(path, bytes: plan.largeFileBytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var environment: [String: String] = [:]
        for name in ["PATH", "HOME", "LANG", "TMPDIR"] { environment[name] = ProcessInfo.processInfo.environment[name] }
        environment["AWS_ACCESS_KEY_ID"] = "bench"
        environment["AWS_SECRET_ACCESS_KEY"] = "bench-secret"
        environment["AWS_DEFAULT_REGION"] = "us-east-1"
        environment["HOIST_ENGINE"] = "foreground"
        let common = ["upload", path, "--dialect", "s3", "--endpoint", url, "--bucket", bucket, "--path-style", "--json"]
        let sides: [(String, String, [String])] = [
            ("hoist, one PUT", executable, common + ["--prefix", "single/", "--multipart-threshold", "5G"]),
            ("hoist, multipart (8 MiB parts, --part-jobs 4)", executable, common + ["--prefix", "multi/"]),
            ("aws s3 cp (multipart, its defaults)", "aws", ["s3", "cp", path, "s3://\(bucket)/aws/s3-large.bin", "--endpoint-url", url, "--only-show-errors"]),
        ]
        var best: [String: ChildProcess.Outcome] = [:]
        for round in 1...plan.largeFileRounds {
            for (index, (label, program, arguments)) in sides.enumerated() {
                var env = environment
                env["XDG_STATE_HOME"] = directory + "/state-\(index)-\(round)"
                env["XDG_CONFIG_HOME"] = directory + "/config"
                let out = directory + "/s3-\(index)-\(round)"
                let child = ChildProcess(executable: program, arguments: arguments, environment: env,
                                         stdoutPath: out + ".out", stderrPath: out + ".err", timeout: plan.childTimeout)
                let outcome = try await child.run()
                guard outcome.succeeded else {
                    let errors = (try? String(contentsOfFile: out + ".err", encoding: .utf8)) ?? ""
                    throw BenchError("\(label) failed (\(outcome.summary)): \(errors.suffix(500))")
                }
                let key = ["single/s3-large.bin", "multi/s3-large.bin", "aws/s3-large.bin"][index]
                let size = try await Self.objectSize(url + "/" + bucket + "/" + key)
                guard size == plan.largeFileBytes else { throw BenchError("\(label): the bucket holds \(size) bytes, not \(plan.largeFileBytes)") }
                log("s3, round \(round): \(label) \(Report.seconds(outcome.elapsed)) (CPU \(Report.seconds(outcome.cpu))), peak RSS \(Report.mebibytes(outcome.peakRSS))")
                if outcome.elapsed < best[label]?.elapsed ?? .seconds(Int64.max) { best[label] = outcome }
            }
        }
        return sides.compactMap { label, _, _ in best[label].map { Row(label: label, outcome: $0) } }
    }

    static func render(_ rows: [Row], bytes: Int64, rounds: Int) -> String {
        let aws = rows.last?.outcome
        var table = [["\(Report.size(bytes)) file into moto's S3", "time", "throughput", "client CPU", "peak RSS", "vs aws"]]
        for row in rows {
            let ratio = aws.map { String(format: "%.2f×", $0.elapsed.seconds / max(row.outcome.elapsed.seconds, 1e-9)) } ?? ""
            table.append([row.label, Report.seconds(row.outcome.elapsed), Report.megabytesPerSecond(bytes, row.outcome.elapsed),
                          Report.seconds(row.outcome.cpu), Report.mebibytes(row.outcome.peakRSS), ratio])
        }
        return (Report.align(table) + [
            "", "best of \(rounds) round(s) each; vs aws = aws's time / this row's (above 1: faster than aws s3 cp);",
            "peak RSS = the client process's own VmHWM; moto (Python, in memory) is the store, on the same 2 cores.",
        ]).joined(separator: "\n")
    }

    /// The given endpoint, or a moto_server started on a free port (and the process to stop).
    static func server(_ given: String?, directory: String, log: (String) -> Void) async throws -> (String, Process?) {
        if let given { return (given, nil) }
        let port = Int.random(in: 20000..<30000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["moto_server", "-H", "127.0.0.1", "-p", String(port)]
        let logPath = directory + "/moto.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: logPath)
        process.standardError = FileHandle(forWritingAtPath: logPath)
        try process.run()
        let url = "http://127.0.0.1:\(port)"
        for _ in 0..<120 {
            if (try? await request(.GET, url + "/moto-api/")) != nil {
                log("moto_server at \(url)")
                return (url, process)
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        process.terminate()
        throw BenchError("moto_server did not start (pip install 'moto[server]'); see \(logPath)")
    }

    @discardableResult
    static func request(_ method: HTTPMethod, _ url: String) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: url)
        request.method = method
        // moto checks no signature, but wants a request that looks signed.
        request.headers.add(name: "Authorization", value: "AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00")
        request.headers.add(name: "x-amz-content-sha256", value: "UNSIGNED-PAYLOAD")
        request.headers.add(name: "x-amz-date", value: "20260101T000000Z")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 20)
        guard (200..<300).contains(response.status.code) else { throw BenchError("\(method) \(url): \(response.status.code)") }
        return response
    }

    private static func objectSize(_ url: String) async throws -> Int64 {
        let response = try await request(.HEAD, url)
        return response.headers.first(name: "Content-Length").flatMap(Int64.init) ?? -1
    }
}
