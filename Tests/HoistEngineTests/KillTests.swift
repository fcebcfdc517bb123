import Foundation
import HoistServer
import HoistTestSupport
import Testing

@testable import HoistEngine

/// The real `hoist upload` killed mid-run, then run again: every file completed exactly once.
@Suite struct KillTests {
    @Test func killedUploadResumesAndCompletesEveryFileExactlyOnce() async throws {
        let binary = try HoistBinary.require()
        try await EngineHarness.with { harness in
            let names = (0..<8).map { "part\($0).txt" }
            for (index, name) in names.enumerated() { try harness.file("batch/\(name)", size: 300_000, seed: UInt8(index + 1)) }
            let state = try TempDirectory.make(prefix: "hoist-state")
            defer { try? FileManager.default.removeItem(atPath: state) }
            var environment = ProcessInfo.processInfo.environment
            environment["HOIST_TEST_KEY"] = harness.server.key
            environment["XDG_STATE_HOME"] = state
            environment["HOIST_ENGINE"] = "foreground"
            environment["XDG_CONFIG_HOME"] = state + "/config"
            let common = [
                "upload", harness.files + "/batch", "--endpoint", harness.server.baseURL, "--dialect", "lightfield",
                "--api-key-env", "HOIST_TEST_KEY", "--json", "--jobs", "3",
            ]

            // Slow enough that the kill lands with some files done and others mid-PUT: the
            // three first PUTs share the rate and end together, so the kill waits for a PUT
            // that started after them to report progress (about three seconds from its end),
            // not only for two completions (a loaded run once killed it with nothing in
            // flight at 1 MB/s).
            let first = try await ChildProcess(binary, common + ["--limit-rate", "256K"], environment: environment)
            let output = try await first.readStdout(until: { text in
                let afterCompletions = text.components(separatedBy: #""event":"completed""#)
                return afterCompletions.count > 2 && afterCompletions.last?.contains(#""event":"progress""#) == true
            })
            first.send(SIGKILL)
            #expect(output.contains(#""event":"progress""#))
            _ = await first.waitForExit()

            let second = try await ChildProcess(binary, common, environment: environment)
            let status = await second.waitForExit(timeout: 30)
            #expect(status == 0, "stderr: \(second.standardError())")

            let api = harness.api(harness.profile())
            let completed = try await api.list("COMPLETED")
            let stored: [String] = completed.map { $0.filename }.sorted()
            #expect(stored == names)
            for file in completed {
                #expect(file.md5 == (try EngineHarness.md5(harness.files + "/batch/" + file.filename)))
            }
            // Every session the first run learned of (its output names them) was cancelled or
            // completed by the rerun. A create whose answer the kill cut off made a session no
            // client ever learned: the protocol has no way to find it, and the server expires
            // it; at most one per job can be in flight.
            let known = Set(output.matches(of: /"id":"(fil_[a-z0-9]+)"/).map { String($0.1) })
            let pendingLeft = try await api.list("PENDING")
            #expect(pendingLeft.allSatisfy { !known.contains($0.id) }, "known sessions left pending: \(pendingLeft)")
            #expect(pendingLeft.count <= 3, "\(pendingLeft)")
            // The kill left PUTs in flight; the rerun cancelled their sessions instead of reusing them.
            #expect(try await api.list("CANCELLED").count >= 1)
        }
    }

    @Test func usageErrorsExitTwoAndFailuresExitOne() async throws {
        let binary = try HoistBinary.require()
        try await EngineHarness.with { harness in
            var environment = ProcessInfo.processInfo.environment
            environment["XDG_STATE_HOME"] = harness.files + "/state"
            environment["HOIST_ENGINE"] = "foreground"
            environment["XDG_CONFIG_HOME"] = harness.files + "/config"
            environment.removeValue(forKey: "HOIST_TEST_KEY")
            let inline = ["--endpoint", harness.server.baseURL, "--dialect", "lightfield", "--api-key-env", "HOIST_TEST_KEY"]
            let noKey = try await ChildProcess(binary, ["upload", harness.files] + inline, environment: environment)
            #expect(await noKey.waitForExit() == 2)
            #expect(noKey.standardError().contains("HOIST_TEST_KEY"))
            let badRate = try await ChildProcess(binary, ["upload", harness.files, "--limit-rate", "fast"], environment: environment)
            #expect(await badRate.waitForExit() == 2)

            environment["HOIST_TEST_KEY"] = harness.server.key
            let good = try harness.file("ok.txt", size: 10)
            let mixed = try await ChildProcess(binary, ["upload", good, harness.files + "/nope.txt", "--json"] + inline, environment: environment)
            let line = try await mixed.firstLine()
            #expect(line.hasPrefix(#"{"event":""#))
            #expect(await mixed.waitForExit() == 1)
        }
    }
}
