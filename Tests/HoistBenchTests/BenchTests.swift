import Foundation
import enum HoistTestSupport.TempDirectory
import enum HoistTestSupport.TestFiles
import Testing

@testable import hoist_bench

@Suite("hoist-bench plumbing")
struct BenchTests {
    /// Runs `script` with `sh -c` and removes its output files afterwards.
    private func run(_ script: String, timeout: Duration = .seconds(30), breakdownAbove: Int64? = nil) async throws -> ChildProcess.Outcome {
        let out = TempDirectory.file("hoist-bench-test-\(UUID().uuidString.prefix(8))")
        defer {
            try? FileManager.default.removeItem(atPath: out + ".out")
            try? FileManager.default.removeItem(atPath: out + ".err")
        }
        var child = ChildProcess(
            executable: "sh", arguments: ["-c", script], environment: ["PATH": "/usr/bin:/bin"],
            stdoutPath: out + ".out", stderrPath: out + ".err", timeout: timeout)
        child.breakdownAbove = breakdownAbove
        return try await child.run()
    }

    @Test("exit codes come back as the child set them, with its own peak RSS")
    func exitCodes() async throws {
        let ok = try await run("exit 0")
        #expect(ok.succeeded && ok.exitCode == 0 && !ok.timedOut)
        #expect(ok.peakRSS > 0)
        let failed = try await run("exit 3")
        #expect(failed.exitCode == 3 && !failed.succeeded)
    }

    @Test("a child's peak RSS is its own, not the high-water mark of the bench that spawned it")
    func peakRSSIsTheChilds() async throws {
        // Grow this process well past what a shell needs (every page touched), then spawn one
        // that lives long enough to be sampled.
        var ballast = [UInt8](repeating: 0, count: 256 << 20)
        for index in stride(from: 0, to: ballast.count, by: 4096) { ballast[index] = 1 }
        let outcome = try await run("sleep 1")
        withExtendedLifetime(ballast) {}
        #expect(outcome.succeeded)
        #expect(outcome.peakRSS > 0 && outcome.peakRSS < 64 << 20, "a shell sleeping reported \(outcome.peakRSS) bytes")
    }

    @Test("a child above the line says where its memory was; one below it does not")
    func residentBreakdown() async throws {
        func child(_ megabytes: Int) async throws -> ChildProcess.Outcome {
            // Bytes written, so every page is resident; held half a second for the sampler.
            // `exec`: the sampled process is python's own.
            try await run("exec python3 -c \"import time; b = b'x' * (\(megabytes) << 20); time.sleep(0.5)\"", breakdownAbove: 32 << 20)
        }
        let big = try await child(64)
        #expect(big.succeeded)
        let breakdown = try #require(big.residentBreakdown, "peak \(big.peakRSS) bytes, no breakdown")
        let largest = try #require(breakdown.byMapping.first)
        #expect(["[anon]", "[heap]"].contains(largest.name) && largest.bytes >= 64 << 20, "\(breakdown.summary())")
        #expect(breakdown.total >= largest.bytes && breakdown.total <= big.peakRSS + (1 << 20), "\(breakdown.summary())")
        #expect(breakdown.summary().hasPrefix("resident "))

        let small = try await child(1)
        #expect(small.succeeded && small.residentBreakdown == nil)
    }

    @Test("a child past its timeout is killed and reported as timed out")
    func timeout() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = try await run("exec sleep 30", timeout: .milliseconds(300))
        #expect(outcome.timedOut && !outcome.succeeded)
        #expect(outcome.signal == SIGKILL)
        // Killed after 0.3 s; the bound is for CI running every suite at once, far below sleep 30.
        #expect(clock.now - start < .seconds(20))
    }

    @Test("a pinned child runs on the CPUs it was given, through taskset")
    func pinnedChild() async throws {
        let out = TempDirectory.file("hoist-bench-test-\(UUID().uuidString.prefix(8))")
        defer {
            try? FileManager.default.removeItem(atPath: out + ".out")
            try? FileManager.default.removeItem(atPath: out + ".err")
        }
        let outcome = try await ChildProcess(
            executable: "sh", arguments: ["-c", "grep Cpus_allowed_list /proc/self/status"], environment: ["PATH": "/usr/bin:/bin"],
            stdoutPath: out + ".out", stderrPath: out + ".err", timeout: .seconds(30), cpus: "0"
        ).run()
        #expect(outcome.succeeded)
        let line = try String(contentsOfFile: out + ".out", encoding: .utf8)
        #expect(line.split(separator: ":").last?.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(line)")
    }

    @Test("the MD5 floor is a positive CPU time per GiB")
    func md5Floor() {
        let floor = MD5Floor.perGiB(sample: 4 << 20, rounds: 2)
        #expect(floor > .zero && floor < .seconds(60))
    }

    @Test("between rows only large files are deleted; small ones, links and directories stay for the end")
    func removeLargeFilesKeepsSmallOnes() throws {
        let dir = try TempDirectory.make(prefix: "hoist-bench-test")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/server/blobs", withIntermediateDirectories: true)
        try TestFiles.write(Data(count: 2 << 20), to: dir + "/large.bin")
        try TestFiles.write(Data(count: 1 << 20), to: dir + "/server/blobs/big")
        try TestFiles.write(Data(count: (1 << 20) - 1), to: dir + "/server/blobs/small")
        #expect(symlink(dir + "/large.bin", dir + "/link") == 0)
        BenchWorkspace.removeLargeFiles(under: dir)
        let left = Set(FileManager.default.subpaths(atPath: dir) ?? [])
        #expect(left == ["server", "server/blobs", "server/blobs/small", "link"], "\(left)")
    }

    @Test("completed events are counted from hoist upload --json output")
    func completedCount() {
        let ndjson = """
            {"event":"queued","path":"/a","size":1}
            {"event":"completed","path":"/a","id":"fil_1","md5":"x"}
            {"event":"failed","path":"/b","error":"no","error_code":"http"}
            {"event":"completed","path":"/c","id":"fil_2","md5":"y"}
            """
        #expect(HoistChild.completedCount(ndjson: ndjson) == 2)
    }

    @Test("a round's retries are read from hoist upload --json output, with their reasons")
    func retryReasons() {
        let ndjson = """
            {"event":"queued","path":"/a","size":1}
            {"event":"retrying","path":"/a","attempt":1,"delay":0.5,"reason":"the server closed the connection"}
            {"event":"progress","path":"/a","sent":1,"total":1}
            {"event":"retrying","path":"/a","attempt":2,"delay":1,"reason":"HTTP 503: busy"}
            {"event":"completed","path":"/a","id":"fil_1","md5":"x"}
            """
        let reasons = HoistChild.retryReasons(ndjson: ndjson)
        #expect(reasons == ["the server closed the connection", "HTTP 503: busy"])
        let outcome = ChildProcess.Outcome(exitCode: 0, signal: nil, timedOut: false, elapsed: .seconds(1), peakRSS: 1, cpu: .seconds(1))
        #expect(HoistChild.Result(outcome: outcome, completed: 1, retries: reasons).retried == "; 2 retries (last: HTTP 503: busy)")
        #expect(HoistChild.Result(outcome: outcome, completed: 1, retries: []).retried == "")
        #expect(HoistChild.retryReasons(ndjson: #"{"event":"completed","path":"/a","id":"f","md5":"x"}"#).isEmpty)
    }

    @Test("sizes and verdicts print as the table shows them")
    func formatting() {
        #expect(Report.size(1 << 30) == "1 GiB")
        #expect(Report.size(64 << 20) == "64 MiB")
        #expect(Report.size(4096) == "4 KiB")
        #expect(Report.align([["a", "bb", "c"], ["ccc", "d", "e"]]) == ["a    bb  c", "ccc  d   e"])
        #expect(Report.align([["a", "b", ""], ["ccc", "", ""]]) == ["a    b", "ccc"])
    }

    @Test("the TUI bench reads the browser's first row and the status line from a captured screen")
    func tuiScreenReading() {
        let screen = """
            ┌─ /tmp/q ──────────────┐┌─ Queue ──────────────┐
            │  q-000012.txt     19 B││ q-000001.txt  done    │
            │  q-000112.txt     19 B││                       │
             3/100000 done
            """
        #expect(TUIQueueBench.firstBrowserRow(screen)?.contains("q-000012.txt") == true)
        #expect(TUIQueueBench.firstBrowserRow(screen)?.contains("q-000001.txt") == false)
        #expect(TUIQueueBench.firstBrowserRow("one line") == nil)
        #expect(TUIQueueBench.done(screen)?.done == 3)
        #expect(TUIQueueBench.done(screen)?.total == 100_000)
    }
}
