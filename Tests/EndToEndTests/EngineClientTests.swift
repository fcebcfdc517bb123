import Foundation
import HoistTestSupport
import Testing

/// `hoist jobs` and `hoist stop` against a real background engine: both read the snapshot
/// a job at a time; `jobs` holds its lines on disk until the list is whole.
@Suite("hoist jobs and hoist stop: the snapshot folded a job at a time")
struct EngineClientTests {
    @Test("hoist jobs lists every job once in id order, as text and as JSON; piped to head it stops quietly with exit 0")
    func listsEveryJob() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                // Every job listed, however many have completed by the time each listing is
                // read: the engine otherwise lists only its latest 1,000 completed ones.
                try home.writeConfig("engine_list_done = 2000\n")
                let tree = URL(fileURLWithPath: try TempDirectory.make(prefix: "hoist-jobs-tree")).standardizedFileURL.path
                for index in 0..<1_500 {
                    try TestFiles.write("job \(index)\n", to: tree + "/f\(index).txt")
                }
                let missing = tree + "/missing.txt"
                let detached = try await home.run(["upload", "--detach", tree, missing] + home.endpoint, timeout: 120)
                #expect(detached.status == 1, "\(detached.stderr)")
                let human = try await home.run(["jobs"])
                #expect(human.status == 0, "\(human.stderr)")
                let lines = human.stdout.split(separator: "\n")
                #expect(lines.count == 1_501, "\(lines.count) lines")
                #expect(lines.map { Int($0.dropFirst().prefix { $0 != " " }) ?? 0 } == Array(1...1_501))
                #expect(lines.last?.contains("failed") == true && lines.last?.contains(missing) == true, "\(lines.suffix(1))")
                let json = try await home.jobs()
                #expect(json.count == 1_501)
                #expect(Set(json.compactMap { $0["path"] as? String }).count == 1_501)
                #expect(json.last?["error_code"] as? String != nil && json.last?["state"] as? String == "failed", "\(json.suffix(1))")
                // A reader that takes one line and goes: no trap, no message, exit 0.
                let piped = try await Shell.run(try home.command(["jobs"]) + " | head -1; exit ${PIPESTATUS[0]}")
                #expect(piped.status == 0, "\(piped.stderr)")
                #expect(piped.stdout.hasPrefix("#1  ") && piped.stdout.split(separator: "\n").count == 1, "\(piped.stdout)")
                #expect(piped.stderr.isEmpty, "\(piped.stderr)")
            }
        }
    }

    @Test("an engine that lists 3 completed jobs: hoist jobs counts the 5 older ones, with their bytes, on a line before the 3 it lists; --json lists the 3")
    func countsOlderCompletedJobs() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                try home.writeConfig("engine_list_done = 3\n")
                let tree = URL(fileURLWithPath: try TempDirectory.make(prefix: "hoist-jobs-count")).standardizedFileURL.path
                var sizes: [String: Int] = [:]
                for index in 0..<8 {
                    let path = tree + "/f\(index).txt"
                    let body = String(repeating: "x", count: 10 * (index + 1))
                    try TestFiles.write(body, to: path)
                    sizes[path] = body.utf8.count
                }
                let upload = try await home.run(["upload", tree] + home.endpoint, timeout: 120)
                #expect(upload.status == 0, "\(upload.stderr)")
                let human = try await home.run(["jobs"])
                #expect(human.status == 0, "\(human.stderr)")
                let lines = human.stdout.split(separator: "\n").map(String.init)
                #expect(lines.count == 4, "\(lines)")
                let listed = lines.dropFirst().compactMap { line in sizes.keys.first { line.hasSuffix($0) || line.contains($0 + " ") } }
                #expect(listed.count == 3 && lines.dropFirst().allSatisfy { $0.contains("completed") }, "\(lines)")
                let counted = sizes.values.reduce(0, +) - listed.reduce(0) { $0 + (sizes[$1] ?? 0) }
                #expect(lines.first == "5 earlier completed jobs (\(counted) bytes) are counted, not listed; the journal keeps them (the TUI's H)",
                        "\(lines)")
                let json = try await home.jobs()
                #expect(json.count == 3 && json.allSatisfy { $0["state"] as? String == "completed" }, "\(json)")
            }
        }
    }

    @Test("hoist stop counts the running uploads it waits for, lets them finish, and the engine is gone")
    func stopWaitsForRunning() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                let files = URL(fileURLWithPath: try makeFiles([("c.bin", 1_000), ("a.bin", 400_000), ("b.bin", 400_000)]))
                    .standardizedFileURL.path
                // The engine starts with the first command's settings: a job that ends
                // before the stop (not counted), then two slow ones side by side.
                let done = try await home.run(["upload", "--jobs", "2", "--limit-rate", "100K", files + "/c.bin"] + home.endpoint)
                #expect(done.status == 0, "\(done.stderr)")
                let queued = try await home.run(["upload", "--detach", files + "/a.bin", files + "/b.bin"] + home.endpoint)
                #expect(queued.status == 0, "\(queued.stderr)")
                #expect(await waitUntil(timeout: 60) {
                    let states = (try? await home.jobs())?.compactMap { $0["state"] as? String } ?? []
                    return states.filter { $0 == "uploading" }.count == 2
                })
                let stop = try await home.run(["stop"], timeout: 120)
                #expect(stop.status == 0, "\(stop.stderr)")
                #expect(stop.stderr.contains("hoist: waiting for 2 running uploads to finish (hoist stop --now cancels them)\n"), "\(stop.stderr)")
                #expect(stop.stderr.contains("stopped"), "\(stop.stderr)")
                #expect(await waitUntil(timeout: 30) { home.enginePID == nil })
                for name in ["a.bin", "b.bin"] {
                    #expect(try await serverFiles(server, named: name).first?["status"] as? String == "COMPLETED", "\(name)")
                }
            }
        }
    }

    @Test("hoist stop --now cancels the queued jobs too: the next engine resumes none of them")
    func stopNowCancelsQueued() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                // 80 s at the rate: still uploading when `stop --now` comes, however loaded the
                // machine (at 8 s, a CI run busy with the whole suite once saw it complete first).
                let files = URL(fileURLWithPath: try makeFiles([("a.bin", 4_000_000), ("b.bin", 1_000), ("c.bin", 1_000), ("later.bin", 1_000)]))
                    .standardizedFileURL.path
                let queued = try await home.run(["upload", "--detach", "--jobs", "1", "--limit-rate", "50K", files + "/a.bin",
                                                 files + "/b.bin", files + "/c.bin"] + home.endpoint)
                #expect(queued.status == 0, "\(queued.stderr)")
                #expect(await waitUntil(timeout: 60) {
                    let states = (try? await home.jobs())?.compactMap { $0["state"] as? String } ?? []
                    return states.contains("uploading") && states.filter { $0 == "queued" }.count == 2
                })
                let stop = try await home.run(["stop", "--now"], timeout: 60)
                #expect(stop.status == 0, "\(stop.stderr)")
                #expect(await waitUntil(timeout: 30) { home.enginePID == nil })
                // A new engine, for another file: it takes on nothing of the stopped one's.
                let later = try await home.run(["upload", files + "/later.bin"] + home.endpoint)
                #expect(later.status == 0, "\(later.stderr)")
                let jobs = try await home.jobs()
                #expect(jobs.compactMap { $0["path"] as? String }.allSatisfy { $0.hasSuffix("later.bin") }, "\(jobs)")
                for name in ["a.bin", "b.bin", "c.bin"] {
                    #expect(try await serverFiles(server, named: name).allSatisfy { $0["status"] as? String != "COMPLETED" }, "\(name)")
                }
            }
        }
    }
}
