import Foundation
import HoistTestSupport
import Testing

/// The background engine as a user meets it over SSH: the terminal hangs up, the engine
/// dies, two terminals watch one queue, scripts queue and watch. Real binary, real server,
/// tmux for terminals.
@Suite("background engine: uploads survive the terminal", .serialized)
struct BackgroundEngineTests {
    @Test("the terminal hangs up mid-upload; a new hoist shows it further along at once, and it completes with the right md5")
    func hangUpAndReattach() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                let files = try makeFiles([("slow.bin", 2_400_000)])
                let local = try Data(contentsOf: URL(fileURLWithPath: files + "/slow.bin"))
                let first = try await TUIRun.start(
                    server: server, files: files, home: home.home, extra: ["--limit-rate", "200K"], environment: home.environment)
                try await first.tmux.wait(for: "slow.bin")
                try await first.tmux.send("u")
                try await first.tmux.wait(for: "uploading")
                #expect(await waitUntil { (try? await home.sent("slow.bin")).flatMap { $0 } ?? 0 > 0 })
                let atHangUp = try await home.sent("slow.bin") ?? 0
                // The terminal goes away: tmux's server dies and hoist gets its SIGHUP.
                await first.tmux.kill()
                #expect(await waitUntil { (try? await home.sent("slow.bin")).flatMap { $0 } ?? 0 > atHangUp + 200_000 },
                        "the upload moves on with no terminal")
                let later = try await home.sent("slow.bin") ?? 0
                try await TUIRun.with(server: server, files: files, home: home.home, environment: home.environment) { second in
                    // True progress at once: the snapshot, before any new event could move it.
                    let screen = try await second.tmux.wait(for: "a row for slow.bin with its progress") {
                        shownPercent(of: "slow.bin", in: $0) != nil
                    }
                    let shown = try #require(shownPercent(of: "slow.bin", in: screen))
                    #expect(shown >= Int(Double(later) / Double(local.count) * 100) - 1, "\(screen)")
                    #expect(shown > Int(Double(atHangUp) / Double(local.count) * 100), "\(screen)")
                    try await second.tmux.wait(for: "the slow.bin row done", timeout: 120) { rowDone("slow.bin", $0) }
                }
                let rows = try await serverFiles(server, named: "slow.bin")
                #expect(rows.count == 1)
                #expect(rows.first?["status"] as? String == "COMPLETED")
                #expect(rows.first?["md5"] as? String == MD5Hex.of(local))
            }
        }
    }

    @Test("an upload asking settings the running engine does not apply (--limit-rate, --jobs) is refused, exit 2, naming them, as are s3's (--no-clobber, --part-jobs) for lightfield; the same ones are taken")
    func settingsMismatch() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                let files = try makeFiles([("a.txt", 10), ("b.txt", 20)])
                let first = try await home.run(["upload", files + "/a.txt", "--limit-rate", "10M"] + home.endpoint)
                #expect(first.status == 0, "\(first.stderr)")
                let pid = try #require(home.enginePID, "the first upload started the engine")
                // Each of these was once dropped without a word: the engine went on with its own.
                for extra in [["--limit-rate", "500K"], ["--jobs", "3"], ["--no-clobber"], ["--part-jobs", "2"]] {
                    let refused = try await home.run(["upload", files + "/b.txt"] + extra + home.endpoint)
                    #expect(refused.status == 2, "\(extra): \(refused.stderr)")
                    let why = extra[0].hasPrefix("--l") || extra[0].hasPrefix("--j") ? "hoist stop" : "belongs to the s3 dialect, not lightfield"
                    #expect(refused.stderr.contains(extra[0]) && refused.stderr.contains(why), "\(refused.stderr)")
                    #expect(refused.stdout.isEmpty, "\(refused.stdout)")
                }
                #expect(try await serverFiles(server, named: "b.txt").isEmpty, "a refused command uploads nothing")
                // The engine's own rate, spelt otherwise, is the same setting.
                let same = try await home.run(["upload", files + "/b.txt", "--limit-rate", "10240K"] + home.endpoint)
                #expect(same.status == 0, "\(same.stderr)")
                #expect(home.enginePID == pid, "the same engine took it")
                #expect(try await serverFiles(server, named: "b.txt").first?["status"] as? String == "COMPLETED")
            }
        }
    }

    @Test("a foreground upload mid-PUT and other hoists on its journal: none takes its live upload over; it completes once, nothing cancelled")
    func liveRunsShareOneJournal() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                let files = try makeFiles([("slow.bin", 1_500_000), ("other.txt", 10)])
                let local = try Data(contentsOf: URL(fileURLWithPath: files + "/slow.bin"))
                let slow = try await home.child(["upload", files + "/slow.bin", "--foreground", "--limit-rate", "300K"] + home.endpoint)
                #expect(await waitUntil { ((try? await serverFiles(server, named: "slow.bin")) ?? []).count == 1 },
                        "the foreground upload has its session")
                #expect(slow.isRunning, "300 KB/s: its PUT takes 5 s")
                // Another foreground run of the same file: refused for that file, exit 1.
                let twin = try await home.run(["upload", files + "/slow.bin", "--foreground"] + home.endpoint)
                #expect(twin.status == 1, "\(twin.stdout) \(twin.stderr)")
                #expect(twin.stdout.contains("failed") && twin.stdout.contains("another hoist on this journal (pid"), "\(twin.stdout)")
                // The background engine starts on the same journal: it resumes what killed runs
                // left, and a live run's upload is not that.
                let other = try await home.run(["upload", files + "/other.txt"] + home.endpoint)
                #expect(other.status == 0, "\(other.stderr)")
                #expect(home.enginePID != nil)
                #expect(await slow.waitForExit(timeout: 120) == 0, "\(slow.standardOutput()) \(slow.standardError())")
                let rows = try await serverFiles(server, named: "slow.bin")
                #expect(rows.count == 1, "one session, not one per run: \(rows)")
                #expect(rows.first?["status"] as? String == "COMPLETED")
                #expect(rows.first?["md5"] as? String == MD5Hex.of(local))
            }
        }
    }

    @Test("SIGTERM to a hoist upload following the engine: it says the engine goes on, prints its summary, exits 1; the upload completes")
    func terminatedClient() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                let files = try makeFiles([("slow.bin", 1_000_000)])
                let client = try await home.child(["upload", files + "/slow.bin", "--limit-rate", "200K"] + home.endpoint)
                #expect(await waitUntil { (try? await home.sent("slow.bin")).flatMap { $0 } ?? 0 > 0 }, "the engine is uploading it")
                client.send(SIGTERM)
                #expect(await client.waitForExit(timeout: 30) == 1, "\(client.standardError())")
                let said = client.standardError()
                #expect(said.contains("terminated: the background engine goes on with this command's uploads"), "\(said)")
                #expect(said.contains("slow.bin") || said.contains("1 file"), "the summary: \(said)")
                #expect(await waitUntil(timeout: 60) {
                    ((try? await serverFiles(server, named: "slow.bin")) ?? []).first?["status"] as? String == "COMPLETED"
                }, "the engine finished the upload")
            }
        }
    }

    @Test("two hoist uploads of one file: Ctrl-C twice in one says cancelled and that the upload goes on for the other, exit 1; the other completes it, exit 0")
    func interruptLeavesASharedFileToTheOther() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                let files = try makeFiles([("shared.bin", 2_000_000)])
                let local = try Data(contentsOf: URL(fileURLWithPath: files + "/shared.bin"))
                let arguments = ["upload", files + "/shared.bin", "--json", "--limit-rate", "200K"] + home.endpoint
                let first = try await home.child(arguments)
                #expect(await waitUntil { (try? await home.sent("shared.bin")).flatMap { $0 } ?? 0 > 0 }, "the engine is uploading it")
                let second = try await home.child(arguments)
                // The second command follows the same job once the engine named it.
                _ = try await second.readStdout(until: { $0.contains(#""event":"queued""#) }, timeout: 60)
                first.send(SIGINT)
                // A second signal sent before the first is taken is the same one, as for a person's two presses.
                #expect(await waitUntil { first.standardError().contains("hoist: interrupted: finishing running uploads") })
                first.send(SIGINT)
                #expect(await first.waitForExit(timeout: 60) == 1, "\(first.standardError())")
                let firstSaid = first.standardOutput()
                #expect(firstSaid.contains(#""event":"cancelled""#), "\(firstSaid)")
                #expect(first.standardError().contains("hoist: 1 upload cancelled here goes on for another command that queued the same file (`hoist jobs` shows it)"),
                        "\(first.standardError())")
                #expect(await second.waitForExit(timeout: 120) == 0, "\(second.standardError())")
                let secondSaid = second.standardOutput()
                #expect(secondSaid.contains(#""event":"completed""#) && !secondSaid.contains(#""event":"cancelled""#), "\(secondSaid)")
                let rows = try await serverFiles(server, named: "shared.bin")
                #expect(rows.count == 1 && rows.first?["status"] as? String == "COMPLETED" && rows.first?["md5"] as? String == MD5Hex.of(local),
                        "\(rows)")
            }
        }
    }

    @Test("kill -9 of the engine mid-upload: the view says so, a new engine resumes, every file completes exactly once")
    func engineKilled() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                let files = try makeFiles([("big.bin", 1_600_000), ("small.txt", 20_000)])
                try await TUIRun.with(server: server, files: files, home: home.home, extra: ["--limit-rate", "200K"],
                                      environment: home.environment) { run in
                    try await run.tmux.wait(for: "big.bin")
                    try await run.tmux.send("a", "u")
                    try await run.tmux.wait(for: "uploading")
                    try await run.tmux.send("Tab")
                    #expect(await waitUntil { (try? await home.sent("big.bin")).flatMap { $0 } ?? 0 > 100_000 })
                    let killed = try #require(home.enginePID)
                    kill(killed, SIGKILL)
                    // Never a silent dead screen: the loss is said, and kept in the log (L).
                    try await run.tmux.wait(for: "the loss said or the view attached again", timeout: 60) {
                        $0.contains("lost the background engine") || $0.contains("attached again")
                    }
                    // The view reconnects on its own, starting a new engine that resumes from the journal.
                    #expect(await home.waitForEngine(other: killed))
                    // The new engine's queue: what it resumed (small.txt may have finished before the kill).
                    try await run.tmux.wait(for: "big.bin done", timeout: 120) { rowDone("big.bin", $0) }
                    try await run.tmux.send("L")
                    try await run.tmux.wait(for: "lost the background engine")
                }
                for name in ["big.bin", "small.txt"] {
                    let (completed, md5) = try await completedOnServer(server, name)
                    #expect(completed == 1, "\(name) completed \(completed) times")
                    #expect(md5 == MD5Hex.of(try Data(contentsOf: URL(fileURLWithPath: files + "/" + name))))
                }
            }
        }
    }

    @Test("kill -9 of an engine started with --limit-rate: the engine started after it with no flags (as a view starts it) resumes at that rate, and takes the command again; after hoist stop the next one starts with its own")
    func killedEnginesSettingsCarryOn() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                let files = URL(fileURLWithPath: try makeFiles([("r.bin", 2_000_000), ("later.txt", 1000)])).standardizedFileURL.path
                let asked = ["upload", "--detach", "--limit-rate", "200K"]
                #expect(try await home.run(asked + [files + "/r.bin"] + home.endpoint).status == 0)
                #expect(await waitUntil { (try? await home.sent("r.bin")).flatMap { $0 } ?? 0 > 0 })
                let killed = try #require(home.enginePID)
                kill(killed, SIGKILL)
                #expect(await waitUntil { home.enginePID == nil })
                func hello() async throws -> String {
                    let attach = try await home.child(["attach", "--json"])
                    let first = try await attach.readStdout(until: { $0.contains("\n") }, timeout: 60)
                    attach.send(SIGTERM)
                    return first
                }
                // No flags: what a view that reconnects starts.
                let second = try await home.child(["engine"] + home.endpoint)
                #expect(await waitUntil { home.enginePID == second.processIdentifier })
                #expect(try await hello().contains(#""rate_limit":204800"#))
                #expect(await waitUntil { second.standardError().contains("with the settings of the engine killed before it: --limit-rate 204800") },
                        "\(second.standardError())")
                let again = try await home.run(asked + [files + "/later.txt"] + home.endpoint)
                #expect(again.status == 0, "the same command is taken: \(again.stderr)")
                #expect(await waitUntil(timeout: 120) { (try? await serverFiles(server, named: "r.bin"))?.first?["status"] as? String == "COMPLETED" })
                let stop = try await home.run(["stop"])
                #expect(stop.status == 0, "\(stop.stderr)")
                #expect(await second.waitForExit(timeout: 60) == 0)
                let third = try await home.child(["engine"] + home.endpoint)
                #expect(await waitUntil { home.enginePID == third.processIdentifier })
                let fresh = try await hello()
                #expect(fresh.contains(#""event":"hello""#) && !fresh.contains(#""rate_limit":204800"#), "\(fresh)")
            }
        }
    }

    @Test("a settings file no engine could have written (a rate past 1 PiB/s, inf, garbage, a directory) is not taken: the engine starts and uploads without a limit")
    func hostileSettingsFileIsIgnored() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                let files = URL(fileURLWithPath: try makeFiles((0..<5).map { ("h\($0).txt", 1000) })).standardizedFileURL.path
                let settings = home.home + "/state/hoist/journal.sqlite.engine.settings"
                try FileManager.default.createDirectory(atPath: home.home + "/state/hoist", withIntermediateDirectories: true)
                for (round, content) in [#"{"--limit-rate":"9223372036854775807","--jobs":"-3"}"#, #"{"--limit-rate":"inf"}"#,
                                         #"{"--limit-rate":"1e30","--part-jobs":"0"}"#, "not json", nil].enumerated() {
                    try? FileManager.default.removeItem(atPath: settings)
                    if let content { try TestFiles.write(Data(content.utf8), to: settings) } else {
                        try FileManager.default.createDirectory(atPath: settings, withIntermediateDirectories: true)
                    }
                    let upload = try await home.run(["upload", files + "/h\(round).txt"] + home.endpoint)
                    #expect(upload.status == 0, "\(content ?? "a directory"): \(upload.stderr)")
                    let engine = try await home.run(["jobs"])
                    #expect(engine.status == 0, "\(engine.stderr)")
                    await home.stopEngine()
                }
            }
        }
    }

    @Test("two attached views: c in one cancels, the other shows cancelled within a second")
    func twoViewers() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                let files = try makeFiles([("slow.bin", 4_000_000)])
                try await TUIRun.with(server: server, files: files, home: home.home, extra: ["--limit-rate", "200K"],
                                      environment: home.environment) { first in
                    try await first.tmux.wait(for: "slow.bin")
                    try await first.tmux.send("u")
                    try await first.tmux.wait(for: "uploading")
                    try await TUIRun.with(server: server, files: files, home: home.home, environment: home.environment) { second in
                        try await second.tmux.wait(for: "uploading")
                        let (_, slowest) = try await slowestRoundTrip(to: server) {
                            try await first.tmux.send("Tab", "c")
                            try await second.tmux.wait(for: "cancelled", timeout: 30)
                        }
                        // The second, on the engine's clock, which both views share: from the
                        // moment the first read c to the cancel the other shows. Both rows'
                        // histories count from the job's queued event, the same in both.
                        try await first.tmux.send("Enter")
                        let asking = try await first.tmux.wait(forAll: ["History", "cancel asked"])
                        try await second.tmux.send("Tab", "Enter")
                        let told = try await second.tmux.wait(forAll: ["History", "s  cancelled"])
                        let asked = try #require(historyOffset(of: "cancel asked", in: asking), "\(asking)")
                        let cancelled = try #require(historyOffset(of: "s  cancelled", in: told), "\(told)")
                        let allowed = try #require(cancelAllowance(asking, slowest: slowest), "\(asking)")
                        #expect(cancelled >= asked && cancelled - asked < allowed,
                                "the other view shows the cancel \(cancelled - asked) s (of \(allowed)) after c:\n\(asking)\n\(told)")
                    }
                }
                #expect(try await serverFiles(server, named: "slow.bin").first?["status"] as? String == "CANCELLED")
            }
        }
    }

    @Test("hoist upload --detach returns at once with the job ids; hoist attach --json shows the events through to completed")
    func detachThenAttach() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                let files = URL(fileURLWithPath: try makeFiles([("d.bin", 2_000_000)])).standardizedFileURL.path
                let local = try Data(contentsOf: URL(fileURLWithPath: files + "/d.bin"))
                let queued = try await home.run(["upload", "--detach", "--json", "--limit-rate", "200K", files + "/d.bin"] + home.endpoint)
                #expect(queued.status == 0, "\(queued.stderr)")
                #expect(queued.stdout.hasPrefix(#"{"event":"queued","job":1,"path":"\#(files)/d.bin""#), "\(queued.stdout)")
                // It returned while the upload (10 s at 200 KB/s) still runs: the server has
                // not stored the file, and --detach printed no event past queued.
                #expect(!queued.stdout.contains(#""event":"completed""#), "\(queued.stdout)")
                #expect(try await serverFiles(server, named: "d.bin").first?["status"] as? String != "COMPLETED")
                // The engine leads a session of its own (no controlling terminal to hang up),
                // and its parent is not the client that started it.
                let engine = try #require(home.enginePID)
                let stat = try String(contentsOfFile: "/proc/\(engine)/stat", encoding: .utf8)
                let fields = stat[stat.range(of: ") ")!.upperBound...].split(separator: " ")
                #expect(fields.count > 5 && Int(fields[3]) == Int(engine) && Int(fields[4]) == 0, "\(stat)")
                let attach = try await home.child(["attach", "--json"])
                let output = try await attach.readStdout(until: { $0.contains(#""event":"completed""#) }, timeout: 90)
                attach.send(SIGTERM)
                let lines = output.split(separator: "\n").map(String.init)
                #expect(lines.first?.hasPrefix(#"{"#) == true && lines.first?.contains(#""event":"hello""#) == true)
                #expect(lines.contains { $0.contains(#""event":"ready""#) })
                #expect(lines.contains { $0.contains(#""event":"progress""#) && $0.contains(#""job":1"#) })
                let completed = try #require(lines.first { $0.contains(#""event":"completed""#) })
                #expect(completed.contains(#""md5":"\#(MD5Hex.of(local))""#), "\(completed)")
                let human = try await home.run(["jobs"])
                #expect(human.stdout.contains("#1  completed"), "\(human.stdout)")
            }
        }
    }

    @Test("the engine's socket removed while it uploads, then its whole $XDG_RUNTIME_DIR (as logind empties it when the last SSH session ends): it listens there again, says so in its log, hoist jobs reaches it, and the upload completes once")
    func socketRemovedIsBoundAgain() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server, runtime: true) { home in
                let runtime = try #require(home.runtimeDirectory)
                let files = URL(fileURLWithPath: try makeFiles([("s.bin", 2_000_000)])).standardizedFileURL.path
                let local = try Data(contentsOf: URL(fileURLWithPath: files + "/s.bin"))
                let queued = try await home.run(["upload", "--detach", "--limit-rate", "200K", files + "/s.bin"] + home.endpoint)
                #expect(queued.status == 0, "\(queued.stderr)")
                let engine = try #require(home.enginePID)
                func socket() -> String? {
                    (try? FileManager.default.contentsOfDirectory(atPath: runtime + "/hoist"))?.first { $0.hasSuffix(".sock") }
                }
                let name = try #require(socket())
                let log = home.home + "/state/hoist/engine.log"
                for (round, gone) in [runtime + "/hoist/" + name, runtime].enumerated() {
                    try FileManager.default.removeItem(atPath: gone)
                    #expect(await waitUntil(timeout: 30) { socket() == name }, "the socket is bound again")
                    #expect(await waitUntil(timeout: 30) {
                        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").components(separatedBy: "was gone; listening there again").count == round + 2
                    }, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
                    let jobs = try await home.run(["jobs"])
                    #expect(jobs.status == 0 && jobs.stdout.contains("s.bin"), "\(jobs.stdout) \(jobs.stderr)")
                    #expect(home.enginePID == engine, "the same engine, not a second one")
                }
                // Its directory cannot be made (a file where it goes, as before the next login
                // makes $XDG_RUNTIME_DIR): a client waits a few seconds, then says which engine runs.
                try FileManager.default.removeItem(atPath: runtime)
                try TestFiles.write(Data("x".utf8), to: runtime)
                let unreachable = try await home.run(["jobs"])
                #expect(unreachable.status == 1 && unreachable.stderr.contains("the background engine (pid \(engine)) runs but does not listen on"),
                        "\(unreachable.stderr)")
                #expect(((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("is gone and cannot be made again yet"))
                try FileManager.default.removeItem(atPath: runtime)
                #expect(await waitUntil(timeout: 30) { socket() == name }, "bound once the directory can be made")
                #expect(try await home.run(["jobs"]).status == 0)
                #expect(await waitUntil(timeout: 120) { (try? await serverFiles(server, named: "s.bin"))?.first?["status"] as? String == "COMPLETED" })
                let rows = try await serverFiles(server, named: "s.bin")
                #expect(rows.count == 1 && rows.first?["md5"] as? String == MD5Hex.of(local), "\(rows)")
                let stop = try await home.run(["stop"])
                #expect(stop.status == 0, "\(stop.stderr)")
                #expect(await waitUntil(timeout: 30) { home.enginePID == nil })
                #expect(socket() == nil, "the engine took its socket with it")
            }
        }
    }

    @Test("hoist upload --detach of a tree, a file named twice, a missing path and a file already queued: one line per job, failed for the missing one, exit 1")
    func detachMixed() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                let tree = try makeTree(files: 700)
                let files = URL(fileURLWithPath: try makeFiles([("slow.bin", 2_000_000)])).standardizedFileURL.path
                let slow = files + "/slow.bin", missing = files + "/missing.bin"
                // Already queued by an earlier command (running, slowly): named again, it keeps its job.
                let first = try await home.run(["upload", "--detach", "--limit-rate", "100K", slow] + home.endpoint)
                #expect(first.status == 0 && first.stdout == "queued #1 \(slow)\n", "\(first.stdout) \(first.stderr)")
                let run = try await home.run(["upload", "--detach", slow, tree, missing, slow] + home.endpoint, timeout: 120)
                #expect(run.status == 1, "\(run.stderr)")
                let lines = run.stdout.split(separator: "\n").map(String.init)
                #expect(lines.first == "queued #1 \(slow)", "\(lines.prefix(3))")
                #expect(lines.count == 702, "\(lines.count) lines")
                let treeLines = lines.dropFirst().prefix(700)
                #expect(treeLines.allSatisfy { $0.hasPrefix("queued #") && $0.contains(" \(tree)/d") }, "\(treeLines.prefix(3))")
                #expect(Set(treeLines.map { $0.split(separator: " ")[2] }).count == 700)
                #expect(lines.last?.hasPrefix("failed #") == true && lines.last?.contains("\(missing): ") == true, "\(lines.suffix(2))")
                let jobs = try await home.jobs()
                #expect(jobs.count == 702, "\(jobs.count) jobs")
            }
        }
    }

    @Test("hoist upload of a tree through the engine: queued in parts, held at --max-backlog, one line per file, exit 0")
    func treeInParts() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                let tree = try makeTree(files: 300)
                let run = try await home.run(["upload", tree, "--max-backlog", "40", "--jobs", "4"] + home.endpoint, timeout: 120)
                #expect(run.status == 0, "\(run.stderr)")
                let lines = run.stdout.split(separator: "\n")
                #expect(lines.count == 300 && lines.allSatisfy { $0.hasPrefix("completed \(tree)/d") }, "\(run.stdout.prefix(2000))")
                #expect(Set(lines.map { $0.split(separator: " ")[1] }).count == 300)
                #expect(run.stderr.contains("hoist: 300 completed, 0 failed, 0 cancelled;"), "\(run.stderr)")
            }
        }
    }

    @Test("Ctrl-C once while the engine holds the walk of a tree: the rest of the tree is never queued, queued files are cancelled")
    func interruptStopsTheWalk() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                let (_, client) = try await heldUpload(home, files: 1_200)
                client.send(SIGINT)
                #expect(await client.waitForExit(timeout: 60) == 1)
                let events = client.standardOutput().split(separator: "\n").compactMap {
                    try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                }
                let queued = events.filter { $0["event"] as? String == "queued" }.count
                let cancelled = events.filter { $0["event"] as? String == "cancelled" }.count
                let completed = events.filter { $0["event"] as? String == "completed" }.count
                // The first two batches (32, then 512) were queued; the rest never was.
                #expect(queued >= 32 && queued < 1_200, "\(queued) queued")
                #expect(completed + cancelled == queued, "\(completed) completed, \(cancelled) cancelled of \(queued)")
                #expect(completed < 50 && cancelled > 400, "\(completed) completed, \(cancelled) cancelled")
                // The engine agrees: no job of the tree waits or runs, and none beyond those queued.
                let jobs = try await home.jobs()
                #expect(jobs.count == queued, "\(jobs.count) jobs")
                #expect(!jobs.contains { ["queued", "creating", "verifying", "uploading", "completing", "retrying"].contains($0["state"] as? String ?? "") }, "\(jobs.prefix(3))")
            }
        }
    }

    @Test("hoist stop while the engine holds the walk of a tree: hoist upload says the rest was not queued and exits 1; the next engine uploads the whole tree")
    func stopCutsTheWalk() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                let (tree, client) = try await heldUpload(home, files: 600)
                let stop = try await home.run(["stop"], timeout: 120)
                #expect(stop.status == 0, "\(stop.stderr)")
                #expect(await client.waitForExit(timeout: 60) == 1)
                let said = client.standardError()
                #expect(said.contains("hoist: the background engine: the engine stopped before every file of this command was queued; "
                                      + "the next engine queues the rest\n"), "\(said)")
                // Nothing was lost: a new engine takes the rest on, and a run of the same
                // command finds every file uploaded or uploads it.
                let again = try await home.run(["upload", tree, "--jobs", "8"] + home.endpoint, timeout: 300)
                #expect(again.status == 0, "\(again.stderr)")
                let jobs = try await home.jobs()
                let completed = Set(jobs.filter { $0["state"] as? String == "completed" }.compactMap { $0["path"] as? String })
                #expect(completed.count == 600, "\(completed.count) of 600 completed")
            }
        }
    }

    /// `hoist upload --json` of a new tree of `files` through the engine, once its first
    /// session is made: one job at 1 KB/s, so the first file takes a while and the walk is
    /// held at 40 queued with most of the tree unread.
    func heldUpload(_ home: BackgroundHome, files: Int) async throws -> (tree: String, client: ChildProcess) {
        let tree = try makeTree(files: files)
        let client = try await home.child(["upload", tree, "--json", "--max-backlog", "40", "--jobs", "1", "--limit-rate", "1K"] + home.endpoint)
        _ = try await client.readStdout(until: { $0.contains(#""event":"session""#) }, timeout: 60)
        return (tree, client)
    }

    /// A temporary tree of `files` small files in three directories, by its standard path.
    func makeTree(files: Int) throws -> String {
        let tree = URL(fileURLWithPath: try TempDirectory.make(prefix: "hoist-bg-tree")).standardizedFileURL.path
        for index in 0..<files {
            let directory = tree + "/d\(index % 3)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try TestFiles.write(Data(repeating: UInt8(index % 251), count: 100 + index % 50), to: directory + "/f\(index).bin")
        }
        return tree
    }

    @Test("with no client and nothing to do the engine exits after --idle-exit, taking its socket with it")
    func idleExit() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                let engine = try await home.child(["engine", "--idle-exit", "2"] + home.endpoint)
                #expect(await waitUntil { home.enginePID == engine.processIdentifier })
                let socket = home.home + "/state/hoist/engine.sock"
                #expect(await waitUntil { FileManager.default.fileExists(atPath: socket) })
                // A client keeps it alive while connected.
                let jobs = try await home.run(["jobs"])
                #expect(jobs.status == 0 && jobs.stdout.contains("no jobs"), "\(jobs.stdout)")
                #expect(await engine.waitForExit(timeout: 60) == 0)
                #expect(!FileManager.default.fileExists(atPath: socket))
                #expect(engine.standardError().contains("stopped"))
            }
        }
    }

    @Test("a second engine on the same journal refuses to run; stop ends the first")
    func oneEnginePerJournal() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                let first = try await home.child(["engine"] + home.endpoint)
                #expect(await waitUntil { home.enginePID == first.processIdentifier })
                let second = try await home.run(["engine"] + home.endpoint, timeout: 60)
                #expect(second.status == 1)
                #expect(second.stderr.contains("another hoist engine (pid \(first.processIdentifier)) already runs on the journal"),
                        "\(second.stderr)")
                let stop = try await home.run(["stop"])
                #expect(stop.status == 0 && stop.stderr.contains("stopped"), "\(stop.stderr)")
                #expect(await first.waitForExit(timeout: 60) == 0)
                let none = try await home.run(["jobs"])
                #expect(none.status == 1 && none.stderr.contains("no background engine is running"), "\(none.stderr)")
            }
        }
    }

    @Test("an engine that ends before it listens (a journal it cannot open) is reported at once with its log's last lines, not after the 20 s start timeout")
    func anEngineThatDiesAtOnceIsSaidAtOnce() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                try FileManager.default.createDirectory(atPath: home.home + "/state/hoist", withIntermediateDirectories: true)
                try TestFiles.write(String(repeating: "not a database ", count: 400), to: home.home + "/state/hoist/journal.sqlite")
                let file = home.home + "/one.txt"
                try TestFiles.write("one", to: file)
                let started = Date()
                let run = try await home.run(["upload", file] + home.endpoint, timeout: 60)
                let took = Date().timeIntervalSince(started)
                #expect(run.status == 1, "\(run.stderr)")
                #expect(took < 10, "\(took) s: \(run.stderr)")
                #expect(run.stderr.contains("exited before it listened"), "\(run.stderr)")
                #expect(run.stderr.contains("journal"), "the engine's own words, from its log: \(run.stderr)")
            }
        }
    }

    @Test("a `..` after a link goes up from where the link leads, as the kernel reads it, through the background engine as in the foreground: the same file")
    func dotDotAfterALink() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                let files = try uploadCLIFiles([("other/x.txt", 100), ("sub/keep.txt", 5)])
                defer { try? FileManager.default.removeItem(atPath: files) }
                try FileManager.default.createSymbolicLink(atPath: files + "/sub/up", withDestinationPath: "../other")
                // By its text, sub/up/../other/x.txt is sub/other/x.txt, which is not there.
                let given = files + "/sub/up/../other/x.txt"
                for mode in [[], ["--foreground"]] {
                    let run = try await home.run(["upload", given] + home.endpoint + mode)
                    #expect(run.status == 0, "\(mode): \(run.stdout) \(run.stderr)")
                    #expect(run.stdout.hasPrefix("completed \(files)/other/x.txt fil_"), "\(mode): \(run.stdout)")
                }
                #expect(try await serverFiles(server).count == 1)
            }
        }
    }
}

/// Whether the queue row of `name` says done (in the queue pane: the right one, after `││`).
func rowDone(_ name: String, _ screen: String) -> Bool {
    screen.split(separator: "\n").contains { line in
        guard let queue = line.components(separatedBy: "││").dropFirst().last else { return false }
        return queue.contains(name) && queue.contains("done")
    }
}

/// How many times `name` is COMPLETED on the server, and the md5 of one of them.
func completedOnServer(_ server: TestServer, _ name: String) async throws -> (Int, String?) {
    let rows = try await serverFiles(server, named: name).filter { $0["status"] as? String == "COMPLETED" }
    return (rows.count, rows.first?["md5"] as? String)
}
