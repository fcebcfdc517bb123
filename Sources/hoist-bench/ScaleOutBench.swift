import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Small-file lifecycles per second (create, PUT, complete) through `hoist serve` processes:
/// one instance on SQLite and its disk, then two instances on one PostgreSQL database and
/// one S3 bucket (moto), every call to a random instance. A third row is moto alone doing
/// the S3 half of a lifecycle (the PUT, and the HEAD complete makes), the ceiling of the
/// second setup on this machine.
struct ScaleOutBench: Sendable {
    let executable: String
    /// A PostgreSQL admin URL (its `postgres` database): the bench makes a database there.
    let postgres: String
    let s3Endpoint: String?
    let directory: String
    let lifecycles: Int
    let width: Int
    let fileBytes: Int

    struct Row: Sendable {
        var label: String
        var count: Int
        var elapsed: Duration
    }

    func run(log: @escaping @Sendable (String) -> Void) async throws -> [Row] {
        let (moto, motoProcess) = try await S3Bench.server(s3Endpoint, directory: directory, log: log)
        defer { if let motoProcess { kill(motoProcess.processIdentifier, SIGKILL) } }
        var rows: [Row] = []

        // One instance, SQLite and disk: the embedded default.
        let single = directory + "/single"
        let singleKey = try Self.shell("'\(executable)' keys create --data '\(single)' --scopes files:create,files:read")
        let one = try ServeProcess.start(executable, ["--data", single], environment: [:])
        defer { one.stop() }
        let singleBase = try one.firstLine()
        log("scale-out: one instance (SQLite + disk) at \(singleBase)")
        rows.append(try await measure("1 instance, SQLite + disk", bases: [singleBase], key: singleKey, log: log))

        // Two instances, PostgreSQL and S3.
        let database = "hoist_bench_\(UInt32.random(in: 0...UInt32.max))"
        _ = try Self.shell("psql -q '\(postgres)' -c 'CREATE DATABASE \(database)'")
        defer { _ = try? Self.shell("psql -q '\(postgres)' -c 'DROP DATABASE IF EXISTS \(database) WITH (FORCE)'") }
        var components = URLComponents(string: postgres)!
        components.path = "/" + database
        components.query = "sslmode=disable"
        let databaseURL = components.string!
        let bucket = "hoist-bench-\(UInt32.random(in: 0...UInt32.max))"
        try await S3Bench.request(.PUT, moto + "/" + bucket)
        let secretFile = directory + "/secret"
        try Data("a secret the benchmark's two instances share\n".utf8).write(to: URL(fileURLWithPath: secretFile))
        let sharedKey = try Self.shell("'\(executable)' keys create --database '\(databaseURL)' --scopes files:create,files:read")
        let environment = ["AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench-secret"]
        var instances: [ServeProcess] = []
        defer { for instance in instances { instance.stop() } }
        var bases: [String] = []
        for name in ["a", "b"] {
            let instance = try ServeProcess.start(executable, [
                "--data", directory + "/" + name, "--database", databaseURL, "--secret-file", secretFile,
                "--blob-store", "s3://\(bucket)?endpoint=\(moto)&path_style=1",
            ], environment: environment)
            instances.append(instance)
            bases.append(try instance.firstLine())
        }
        log("scale-out: two instances (PostgreSQL + S3) at \(bases.joined(separator: ", "))")
        rows.append(try await measure("2 instances, PostgreSQL + S3 (moto)", bases: bases, key: sharedKey, log: log))
        rows.append(try await measureMoto(moto + "/" + bucket, log: log))
        return rows
    }

    /// `lifecycles` create → PUT → complete, `width` at once, each call to a random base.
    private func measure(_ label: String, bases: [String], key: String, log: (String) -> Void) async throws -> Row {
        let body = ByteBuffer(repeating: UInt8(ascii: "x"), count: fileBytes)
        // A warm-up, so that neither side's first connections are counted.
        try await lifecycle(0, bases: bases, key: key, body: body)
        let start = ContinuousClock.now
        try await concurrently(lifecycles) { index in try await lifecycle(index + 1, bases: bases, key: key, body: body) }
        let elapsed = ContinuousClock.now - start
        log("scale-out: \(label): \(lifecycles) lifecycles in \(Report.seconds(elapsed))")
        return Row(label: label, count: lifecycles, elapsed: elapsed)
    }

    private func lifecycle(_ index: Int, bases: [String], key: String, body: ByteBuffer) async throws {
        let created = try await Self.json(.POST, bases.randomElement()! + "/v1/files", key: key, body: ByteBuffer(string:
            #"{"purpose":"meeting_transcript","filename":"f\#(index).txt","mimeType":"text/plain","sizeBytes":\#(fileBytes)}"#))
        guard let id = created["id"] as? String, let url = created["uploadUrl"] as? String,
              let headers = created["uploadHeaders"] as? [String: String]
        else { throw BenchError("create answered \(created)") }
        var put = HTTPClientRequest(url: url)
        put.method = .PUT
        for (name, value) in headers { put.headers.add(name: name, value: value) }
        put.body = .bytes(body)
        let answer = try await HTTPClient.shared.execute(put, timeout: .seconds(60))
        _ = try await answer.body.collect(upTo: 1 << 20)
        guard answer.status == .ok else { throw BenchError("PUT answered \(answer.status.code)") }
        let done = try await Self.json(.POST, bases.randomElement()! + "/v1/files/\(id)/complete", key: key, body: ByteBuffer(string: "{}"))
        guard done["status"] as? String == "COMPLETED" else { throw BenchError("complete answered \(done)") }
    }

    /// The S3 half of each lifecycle against moto alone: a PUT and a HEAD. The PUT is
    /// conditional (`If-None-Match: *`), as the server's upload URLs require.
    private func measureMoto(_ bucketURL: String, log: (String) -> Void) async throws -> Row {
        let start = ContinuousClock.now
        try await concurrently(lifecycles) { index in
            var put = HTTPClientRequest(url: bucketURL + "/alone/f\(index).txt")
            put.method = .PUT
            put.headers.add(name: "Authorization", value: "AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00")
            put.headers.add(name: "x-amz-content-sha256", value: "UNSIGNED-PAYLOAD")
            put.headers.add(name: "If-None-Match", value: "*")
            put.body = .bytes(ByteBuffer(repeating: UInt8(ascii: "x"), count: fileBytes))
            let answer = try await HTTPClient.shared.execute(put, timeout: .seconds(60))
            _ = try await answer.body.collect(upTo: 1 << 20)
            guard answer.status == .ok else { throw BenchError("moto PUT answered \(answer.status.code)") }
            try await S3Bench.request(.HEAD, bucketURL + "/alone/f\(index).txt")
        }
        let elapsed = ContinuousClock.now - start
        log("scale-out: moto alone: \(lifecycles) PUT + HEAD in \(Report.seconds(elapsed))")
        return Row(label: "moto alone: PUT + HEAD (the S3 half)", count: lifecycles, elapsed: elapsed)
    }

    private func concurrently(_ count: Int, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            while next < min(width, count) {
                let index = next
                group.addTask { try await body(index) }
                next += 1
            }
            while try await group.next() != nil, next < count {
                let index = next
                group.addTask { try await body(index) }
                next += 1
            }
            try await group.waitForAll()
        }
    }

    private static func json(_ method: HTTPMethod, _ url: String, key: String, body: ByteBuffer) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        request.headers.add(name: "Lightfield-Version", value: "2026-03-01")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(body)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let data = try await response.body.collect(upTo: 1 << 20)
        return (try? JSONSerialization.jsonObject(with: Data(buffer: data)) as? [String: Any]) ?? [:]
    }

    /// Runs a shell line and returns its stdout, trimmed; throws on a non-zero exit.
    @discardableResult
    private static func shell(_ line: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", line]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.standardError
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError("`\(line)` exited \(process.terminationStatus)") }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func render(_ rows: [Row], fileBytes: Int, width: Int) -> String {
        let base = rows.first.map { Double($0.count) / $0.elapsed.seconds }
        var table = [["small-file lifecycles (\(fileBytes) B, \(width) at once)", "lifecycles", "time", "per second", "vs 1 instance"]]
        for row in rows {
            let rate = Double(row.count) / max(row.elapsed.seconds, 1e-9)
            table.append([row.label, String(row.count), Report.seconds(row.elapsed), String(format: "%.0f/s", rate),
                          base.map { String(format: "%.2f×", rate / $0) } ?? ""])
        }
        return (Report.align(table) + [
            "", "a lifecycle = create, PUT, complete (the PUT to the instance's /storage URL, or to the bucket);",
            "every process (instances, PostgreSQL, moto, this client) shares the same cores.",
        ]).joined(separator: "\n")
    }
}
