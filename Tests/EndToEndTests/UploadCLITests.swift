import Foundation
import HoistTestSupport
import Testing

/// `hoist upload` run as scripts run it: the real binary, stdout and stderr in files, against
/// the real server in-process.
@Suite(.serialized) struct UploadCLITests {
    /// One `hoist: progress:` line, taken apart.
    struct ProgressLine {
        var done: Int, total: Int, sent: Double, size: Double, percent: Int
        /// Bytes per second; nil while measuring (`--`) or stalled.
        var rate: Double?
        var eta: Int?

        init?(_ line: String) {
            let pattern = #/^hoist: progress: (\d+)/(\d+) files?, (.+?) of (.+?) \((\d+)%\), (.+?), ETA (.+)$/#
            guard let match = line.wholeMatch(of: pattern), let done = Int(match.1), let total = Int(match.2),
                  let sent = uploadCLIBytes(match.3), let size = uploadCLIBytes(match.4), let percent = Int(match.5)
            else { return nil }
            (self.done, self.total, self.sent, self.size, self.percent) = (done, total, sent, size, percent)
            rate = match.6.hasSuffix("/s") ? uploadCLIBytes(match.6.dropLast(2)) : nil
            eta = uploadCLISeconds(match.7)
        }
    }

    @Test("stderr a file: a progress line every --progress-interval with true figures, then the summary; stdout unchanged")
    func progressLinesEveryInterval() async throws {
        try await TestServer.with { server in
            let files = try uploadCLIFiles([("slow.bin", 5_000_000)])
            defer { try? FileManager.default.removeItem(atPath: files) }
            let limit = Double(1 << 20)
            let run = try await UploadCLIRun.upload(
                [files + "/slow.bin"], server: server, extra: ["--limit-rate", "1M", "--progress-interval", "1", "--jobs", "1"])
            #expect(run.status == 0, "stderr: \(run.stderr)")

            let raw = run.stderrLines(startingWith: "hoist: progress: ")
            let lines = raw.compactMap(ProgressLine.init)
            #expect(lines.count == raw.count, "unparsed progress lines: \(raw)")
            // About 4.8 s at 1 MiB/s, one line a second.
            #expect(lines.count >= 3, "stderr: \(run.stderr)")
            for line in lines {
                #expect(line.total == 1 && line.done == 0)
                #expect(abs(line.size - 5_000_000) < 0.06 * 1_048_576)
                #expect(line.sent <= line.size)
            }
            #expect(zip(lines, lines.dropFirst()).allSatisfy { $0.sent <= $1.sent }, "\(raw)")
            // The rate never exceeds the limit by more than the window's rounding (the burst at
            // the start used to read GiB/s), and reads the limit while the transfer runs at it
            // (a loaded machine may slow some seconds down); the ETA is what the remaining
            // bytes take at the rate shown.
            let measured = lines.filter { $0.rate != nil }
            #expect(!measured.isEmpty, "\(raw)")
            for line in measured {
                let rate = try #require(line.rate)
                #expect(rate <= 1.25 * limit, "\(raw)")
                let eta = try #require(line.eta, "\(raw)")
                #expect(abs(Double(eta) - (line.size - line.sent) / rate) <= 1.5, "\(raw)")
            }
            #expect(measured.contains { abs(($0.rate ?? 0) - limit) <= 0.25 * limit }, "\(raw)")

            // The average is the bytes over the elapsed time shown (to its rounding).
            let summary = #/^hoist: 1 completed, 0 failed, 0 cancelled; 4\.8 MiB in (\d+:\d\d) \((.+)/s\)$/#
            let match = try #require(run.summary.wholeMatch(of: summary), "stderr: \(run.stderr)")
            let elapsed = try #require(uploadCLISeconds(match.1))
            #expect(elapsed >= 4, "\(run.summary)")
            let average = try #require(uploadCLIBytes(match.2))
            #expect(average <= 1.1 * limit, "\(run.summary)")
            #expect(abs(5_000_000 / average - Double(elapsed)) <= 0.6, "\(run.summary)")

            #expect(run.stdout.wholeMatch(of: #/completed \S+/slow\.bin fil_\w+ md5=[0-9a-f]{32}\n/#) != nil, "\(run.stdout)")
        }
    }

    @Test("Ctrl-C: queued files are cancelled and leave the totals; the summary counts them and the bytes sent")
    func cancelledFilesLeaveTheTotals() async throws {
        try await TestServer.with { server in
            let files = try uploadCLIFiles([("first.bin", 1_500_000), ("second.bin", 500_000), ("third.bin", 500_000)])
            defer { try? FileManager.default.removeItem(atPath: files) }
            let run = try await UploadCLIRun(
                ["upload", files, "--endpoint", server.baseURL, "--dialect", "lightfield", "--api-key-env", "HOIST_TEST_KEY",
                 "--jobs", "1", "--limit-rate", "250K", "--progress-interval", "1"],
                environment: ["HOIST_TEST_KEY": server.key])
            try await run.waitForStderr("uploading \(files)/first.bin")
            run.send(SIGINT)
            try await run.finish()
            #expect(run.status == 1)
            let stdout = Set(run.stdout.split(separator: "\n").map { $0.replacingOccurrences(of: files, with: "F") })
            #expect(stdout.contains("cancelled F/second.bin") && stdout.contains("cancelled F/third.bin"), "\(run.stdout)")
            #expect(stdout.count == 3 && stdout.contains { $0.hasPrefix("completed F/first.bin fil_") }, "\(run.stdout)")

            // The first line comes a second after the start, well after the cancel: only the
            // one file still counts, with its own size.
            let lines = run.stderrLines(startingWith: "hoist: progress: ")
            let last = try #require(lines.last.flatMap(ProgressLine.init), "stderr: \(run.stderr)")
            #expect(last.total == 1 && abs(last.size - 1_500_000) < 0.06 * 1_048_576, "\(lines)")
            #expect(run.summary.hasPrefix("hoist: 1 completed, 0 failed, 2 cancelled; 1.4 MiB in "), "stderr: \(run.stderr)")
        }
    }

    @Test("Ctrl-C twice while the server refuses the cancel (503): stderr says the session is still open there, stdout's line is unchanged; the next run cancels it")
    func aCancelTheServerDidNotTakeIsSaidAndMadeLater() async throws {
        try await TestServer.with { server in
            try await FaultProxy.with(upstream: server.baseURL) { proxy in
                proxy.inject(.status(503), on: "/cancel HTTP")
                let files = try uploadCLIFiles([("slow.bin", 1_500_000)])
                defer { try? FileManager.default.removeItem(atPath: files) }
                let state = try TempDirectory.make(prefix: "hoist-cancel-state")
                let arguments = ["upload", files, "--endpoint", proxy.baseURL, "--dialect", "lightfield", "--api-key-env", "HOIST_TEST_KEY",
                                 "--progress-interval", "0"]
                let environment = ["HOIST_TEST_KEY": server.key, "XDG_STATE_HOME": state]
                let run = try await UploadCLIRun(arguments + ["--limit-rate", "250K"], environment: environment)
                try await run.waitForStderr("uploading \(files)/slow.bin")
                run.send(SIGINT)
                try await run.waitForStderr("Ctrl-C again to abort")
                run.send(SIGINT)
                try await run.finish()
                #expect(run.status == 1)
                #expect(proxy.faultsFired == 1)
                #expect(run.stdout == "cancelled \(files)/slow.bin\n", "\(run.stdout)")
                let said = run.stderrLines(startingWith: "\(files)/slow.bin: the session is still open on the server (")
                #expect(said.count == 1 && said.allSatisfy { $0.contains("503") && $0.hasSuffix("hoist cancels it there once the server answers") },
                        "stderr: \(run.stderr)")
                let lf = LightfieldCalls(baseURL: server.baseURL, key: server.key)
                #expect(try await lf.list().text.contains(#""status":"PENDING""#))

                // The next run makes the kept cancel at its start, and uploads the file anew.
                let again = try await UploadCLIRun(arguments, environment: environment)
                try await again.finish()
                #expect(again.status == 0, "\(again.stderr)")
                let listed = try await lf.list().text
                #expect(listed.contains(#""status":"CANCELLED""#) && listed.contains(#""status":"COMPLETED""#) && !listed.contains("PENDING"), "\(listed)")
            }
        }
    }

    @Test("SIGTERM: the running upload stops where it is, each file's last line and the summary print, exit 1; the next run resumes it")
    func terminationKeepsTheUploadForTheNextRun() async throws {
        try await TestServer.with { server in
            let files = try uploadCLIFiles([("slow.bin", 1_500_000)])
            defer { try? FileManager.default.removeItem(atPath: files) }
            let state = try TempDirectory.make(prefix: "hoist-term-state")
            let arguments = ["upload", files, "--endpoint", server.baseURL, "--dialect", "lightfield", "--api-key-env", "HOIST_TEST_KEY",
                             "--limit-rate", "250K", "--progress-interval", "0"]
            let environment = ["HOIST_TEST_KEY": server.key, "XDG_STATE_HOME": state]
            let run = try await UploadCLIRun(arguments, environment: environment)
            try await run.waitForStderr("uploading \(files)/slow.bin")
            run.send(SIGTERM)
            try await run.finish()
            #expect(run.status == 1)
            #expect(run.stderr.contains("hoist: terminated: stopping; unfinished uploads resume on the next run (again to end at once)"), "\(run.stderr)")
            // Not a terminal: no line break before it, which made a blank line in the file.
            #expect(!run.stderr.hasPrefix("\n") && !run.stderr.contains("\n\n"), "\(run.stderr)")
            #expect(run.stdout == "cancelled \(files)/slow.bin\n", "\(run.stdout)")
            #expect(run.summary.hasPrefix("hoist: 0 completed, 0 failed, 1 cancelled; "), "stderr: \(run.stderr)")

            // Kept, not cancelled on the server: the journal holds it for the next run.
            let lf = LightfieldCalls(baseURL: server.baseURL, key: server.key)
            let kept = try await lf.list()
            #expect(kept.text.contains(#""status":"PENDING""#) && !kept.text.contains("CANCELLED"), "\(kept.text)")
            let again = try await UploadCLIRun(arguments.filter { $0 != "250K" && $0 != "--limit-rate" }, environment: environment)
            try await again.finish()
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.stdout.hasPrefix("completed \(files)/slow.bin fil_"), "\(again.stdout)")
        }
    }

    @Test("stdout that cannot be written (a full disk; a reader gone, as `| head -2` leaves it): the uploads go on and complete, stderr says so once, exit 0")
    func unwritableStdout() async throws {
        try await TestServer.with { server in
            let files = try uploadCLIFiles([("a.txt", 100), ("b.txt", 200), ("c.txt", 300)])
            defer { try? FileManager.default.removeItem(atPath: files) }
            // `true` has exited long before the first line: every write finds its reader gone.
            for sink in [">/dev/full", "| true"] {
                let run = try await UploadCLIRun(
                    ["upload", files, "--endpoint", server.baseURL, "--dialect", "lightfield", "--api-key-env", "HOIST_TEST_KEY"],
                    environment: ["HOIST_TEST_KEY": server.key], prefix: ["/bin/bash", "-c", "\"$0\" \"$@\" \(sink); exit ${PIPESTATUS[0]}"])
                try await run.finish(timeout: 60)
                #expect(run.status == 0, "\(sink): \(run.stderr)")
                #expect(run.stderr.components(separatedBy: "hoist: standard output cannot be written").count == 2, "\(sink): \(run.stderr)")
                #expect(run.stderr.contains("hoist: 3 completed, 0 failed, 0 cancelled"), "\(sink): \(run.stderr)")
            }
            let listed = try await LightfieldCalls(baseURL: server.baseURL, key: server.key).list("?status=COMPLETED")
            #expect((listed.json["data"] as? [[String: Any]])?.count == 6, "\(listed.text)")
        }
    }

    @Test("a failed file: exit 1, its stdout line, and the summary's counts and bytes")
    func summaryCountsAndBytes() async throws {
        try await TestServer.with { server in
            let files = try uploadCLIFiles([("a.bin", 100_000), ("b.bin", 50_000)])
            defer { try? FileManager.default.removeItem(atPath: files) }
            let run = try await UploadCLIRun.upload([files + "/a.bin", files + "/nope.bin", files + "/b.bin"], server: server)
            #expect(run.status == 1)
            let stdout = run.stdout.split(separator: "\n").map { $0.replacingOccurrences(of: files, with: "F") }
            #expect(stdout.count == 3, "\(run.stdout)")
            #expect(stdout.contains("failed F/nope.bin: F/nope.bin: no such file"), "\(run.stdout)")
            #expect(stdout.filter { $0.hasPrefix("completed F/") }.count == 2, "\(run.stdout)")
            // 150,000 bytes sent.
            let summary = try #require(run.summary.wholeMatch(of: #/hoist: 2 completed, 1 failed, 0 cancelled; 146\.5 KiB in (\d+):(\d\d) \(.+/s\)/#),
                                       "stderr: \(run.stderr)")
            // A run shorter than the 10 s interval writes no progress line at all. On a quiet
            // machine it takes well under a second; a crowded one may take longer, and then
            // each line must still be a well-formed progress line.
            let elapsed = Int(summary.1)! * 60 + Int(summary.2)!
            let lines = run.stderrLines(startingWith: "hoist: progress: ")
            if elapsed < 9 { #expect(lines.isEmpty, "\(lines)") }
            #expect(lines.allSatisfy { ProgressLine($0) != nil }, "\(lines)")
        }
    }

    @Test("--json: stdout holds only the NDJSON events; the summary goes to stderr")
    func jsonStdoutStaysNDJSON() async throws {
        try await TestServer.with { server in
            let files = try uploadCLIFiles([("a.txt", 2_000)])
            defer { try? FileManager.default.removeItem(atPath: files) }
            let run = try await UploadCLIRun.upload([files + "/a.txt"], server: server, extra: ["--json"])
            #expect(run.status == 0, "stderr: \(run.stderr)")
            let lines = run.stdout.split(separator: "\n")
            #expect(lines.allSatisfy { $0.hasPrefix(#"{"event":""#) && $0.hasSuffix("}") }, "\(run.stdout)")
            #expect(lines.first?.hasPrefix(#"{"event":"queued","path":""#) == true)
            #expect(lines.last?.hasPrefix(#"{"event":"completed","path":""#) == true)
            #expect(run.summary.hasPrefix("hoist: 1 completed, 0 failed, 0 cancelled; 2.0 KiB in "), "stderr: \(run.stderr)")
        }
    }

    @Test("a file name with a line break is one stdout line, escaped")
    func oneLinePerFileWhateverTheName() async throws {
        try await TestServer.with { server in
            let files = try uploadCLIFiles([("line\nbreak.txt", 100)])
            defer { try? FileManager.default.removeItem(atPath: files) }
            let run = try await UploadCLIRun.upload([files + "/line\nbreak.txt"], server: server)
            let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            #expect(lines.count == 1, "\(run.stdout)")
            let line = try #require(lines.first)
            #expect(line.hasPrefix("completed \(files)/line\\nbreak.txt ") || line.hasPrefix("failed \(files)/line\\nbreak.txt: "), "\(line)")
        }
    }

    @Test("a bidirectional override in a file name is escaped in the human lines, so the name cannot print reordered")
    func bidiControlsAreEscaped() async throws {
        try await TestServer.with { server in
            let name = "invoice\u{202E}fdp.txt"
            let files = try uploadCLIFiles([(name, 100)])
            defer { try? FileManager.default.removeItem(atPath: files) }
            let run = try await UploadCLIRun.upload([files + "/" + name], server: server)
            #expect(!run.stdout.unicodeScalars.contains { $0.properties.isBidiControl }, "\(run.stdout.debugDescription)")
            #expect(run.stdout.contains("invoice\\u{202E}fdp.txt"), "\(run.stdout)")
        }
    }

    @Test("command lines that cannot work exit 2 at once, with no call made: an empty path or id, an endpoint that is not an http URL, a call the dialect has not")
    func impossibleCommandLinesExitTwo() async throws {
        try await TestServer.with { server in
            let files = try uploadCLIFiles([("a.txt", 10)])
            defer { try? FileManager.default.removeItem(atPath: files) }
            let key = ["--api-key-env", "HOIST_TEST_KEY"]
            let cases: [(arguments: [String], says: String)] = [
                (["upload", ""] + ["--endpoint", server.baseURL, "--dialect", "lightfield"] + key, "an empty path was given"),
                (["upload", files] + ["--endpoint", server.baseURL.replacingOccurrences(of: "http://", with: ""), "--dialect", "lightfield"] + key,
                 "endpoint must be an http or https URL"),
                (["upload", files] + ["--endpoint", "ftp://127.0.0.1:21", "--dialect", "luw"] + key, "endpoint must be an http or https URL"),
                (["status", ""] + ["--endpoint", server.baseURL, "--dialect", "lightfield"] + key, "an empty id was given"),
                (["cancel", "x.png"] + ["--endpoint", server.baseURL, "--dialect", "luw"] + key, "the luw dialect has no cancel call"),
                (["status", "x.png"] + ["--endpoint", server.baseURL, "--dialect", "luw"] + key, "status needs the lightfield dialect"),
                (["url", "x.png"] + ["--endpoint", server.baseURL, "--dialect", "luw"] + key,
                 "Luw names a file by the final URL its upload printed"),
                (["upload", files, "--jobs", "-1"] + ["--endpoint", server.baseURL, "--dialect", "lightfield"] + key,
                 "--jobs takes no negative number, not -1"),
                (["url", "fil_x", "--expires", "7d"] + ["--endpoint", server.baseURL, "--dialect", "lightfield"] + key,
                 "--expires is for the s3 dialect"),
            ]
            for (arguments, says) in cases {
                // Run from the files' directory: an empty path must not mean "here".
                let run = try await UploadCLIRun(arguments, environment: ["HOIST_TEST_KEY": server.key], directory: files)
                try await run.finish(timeout: 30)
                #expect(run.status == 2, "\(arguments): \(run.stderr)")
                #expect(run.stderr.contains(says) && !run.stderr.contains("retrying"), "\(arguments): \(run.stderr)")
                #expect(run.stdout.isEmpty, "\(arguments): \(run.stdout)")
            }
            #expect(try await server.storedBlobCount() == 0)
        }
    }

    @Test("a journal that cannot be opened (its directory a file here; read-only or a full disk alike) is exit 2 at once, saying so, with no call made")
    func unopenableJournalExitsTwo() async throws {
        try await TestServer.with { server in
            let files = try uploadCLIFiles([("a.txt", 10)])
            defer { try? FileManager.default.removeItem(atPath: files) }
            // As root a mode does not stop a write; a file where the directory must be does.
            let state = files + "/state-is-a-file"
            try TestFiles.write(Data("x".utf8), to: state)
            let run = try await UploadCLIRun(
                ["upload", files + "/a.txt", "--endpoint", server.baseURL, "--dialect", "lightfield", "--api-key-env", "HOIST_TEST_KEY"],
                environment: ["HOIST_TEST_KEY": server.key, "XDG_STATE_HOME": state])
            try await run.finish(timeout: 30)
            #expect(run.status == 2, "\(run.stderr)")
            // Its directory cannot even be made: named, with the reason, on one line.
            #expect(run.stderr == "hoist: journal: cannot create the directory \(state)/hoist: Not a directory\n", "\(run.stderr)")
            #expect(run.stdout.isEmpty, "\(run.stdout)")
            #expect(try await serverFiles(server).isEmpty)
        }
    }

    @Test("Luw: hoist url prints a final URL only once the file is served there; one never uploaded exits 1 with the server's 404")
    func luwURLIsChecked() async throws {
        try await TestServer.with { server in
            let files = try uploadCLIFiles([("here.png", 500)])
            defer { try? FileManager.default.removeItem(atPath: files) }
            let upload = try await UploadCLIRun.upload([files + "/here.png"], server: server, extra: ["--dialect", "luw", "--pid", "100"])
            #expect(upload.status == 0, "\(upload.stderr)")
            let final = try #require(upload.stdout.firstMatch(of: /completed \S+ (http\S+)/)).1
            let found = try await UploadCLIRun.luwURL(final, server: server)
            #expect(found.status == 0 && found.stdout == final + "\n", "\(found.stdout) \(found.stderr)")

            let absent = final.replacingOccurrences(of: "here.png", with: "never-uploaded.png")
            let missing = try await UploadCLIRun.luwURL(absent, server: server)
            #expect(missing.status == 1 && missing.stdout.isEmpty, "\(missing.stdout)")
            #expect(missing.stderr.contains("404"), "\(missing.stderr)")
        }
    }

    @Test("a file whose name is not UTF-8: in a directory, its own failed line that says so while the rest uploads; named directly, exit 2")
    func namesThatAreNotUTF8() async throws {
        try await TestServer.with { server in
            let files = try uploadCLIFiles([("good.txt", 100)])
            defer { try? FileManager.default.removeItem(atPath: files) }
            // "bad\xFF.txt": a name Swift cannot hold as a String, so made with the C call.
            let raw: [UInt8] = Array((files + "/bad").utf8) + [0xFF] + Array(".txt".utf8) + [0]
            let fd = raw.withUnsafeBufferPointer { open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_CREAT | O_WRONLY, 0o644) }
            #expect(fd >= 0)
            _ = write(fd, "data", 4)
            close(fd)
            let run = try await UploadCLIRun.upload([files], server: server)
            #expect(run.status == 1, "\(run.stderr)")
            #expect(run.stdout.contains("completed \(files)/good.txt fil_"), "\(run.stdout)")
            #expect(run.stdout.contains("failed \(files)/bad\u{FFFD}.txt: \(files)/bad\u{FFFD}.txt: its name is not valid UTF-8"), "\(run.stdout)")
            #expect(run.summary.hasPrefix("hoist: 1 completed, 1 failed, 0 cancelled"), "\(run.stderr)")

            // Named on the command line (through a shell, which passes the bytes as they are).
            let direct = try await Shell.run(
                "cd \(Tmux.quote(files)) && HOIST_ENGINE=foreground XDG_STATE_HOME=\(Tmux.quote(files + "/state")) HOIST_TEST_KEY=\(server.key) "
                + "\(Tmux.quote(try HoistBinary.require())) upload \"$(printf 'bad\\377.txt')\" --endpoint \(server.baseURL) --dialect lightfield --api-key-env HOIST_TEST_KEY")
            #expect(direct.status == 2, "\(direct.stdout) \(direct.stderr)")
            #expect(direct.stderr.contains("bad\u{FFFD}.txt: its name is not valid UTF-8"), "\(direct.stderr)")
        }
    }

    @Test("a missing API key variable: exit 2 and the same words from hoist upload and the TUI")
    func missingKeyExitsTwoWithOneWording() async throws {
        try await TestServer.with { server in
            let files = try uploadCLIFiles([("a.txt", 10)])
            defer { try? FileManager.default.removeItem(atPath: files) }
            let expected = "hoist: environment variable HOIST_TEST_KEY is not set (it must hold the API key)"
            let upload = try await UploadCLIRun(
                ["upload", files, "--endpoint", server.baseURL, "--dialect", "lightfield", "--api-key-env", "HOIST_TEST_KEY"])
            try await upload.finish()
            #expect(upload.status == 2)
            #expect(upload.stderr == expected + "\n")
            #expect(upload.stdout.isEmpty)

            try await TUIRun.with(server: server, files: files, columns: 160, environment: ["HOIST_TEST_KEY": ""]) { run in
                let screen = try await run.tmux.wait(for: "EXIT=")
                #expect(screen.contains(expected + "\n"), "\(screen)")
                #expect(screen.contains("EXIT=2"), "\(screen)")
            }
        }
    }

    @Test("hoist --version prints one line")
    func versionPrintsOneLine() async throws {
        let run = try await UploadCLIRun(["--version"])
        try await run.finish()
        #expect(run.status == 0)
        #expect(run.stdout.wholeMatch(of: #/hoist \d+\.\d+\.\d+\n/#) != nil, "\(run.stdout)")
    }

    @Test("a port where nothing listens: every file fails as refused within seconds, exit 1, the summary says why once")
    func refusedEndpointFailsFast() async throws {
        try await TestServer.with { server in
            let files = try uploadCLIFiles([("a.txt", 10), ("b.txt", 10), ("c.txt", 10)])
            defer { try? FileManager.default.removeItem(atPath: files) }
            let endpoint = "http://127.0.0.1:\(try closedPort())"
            let run = try await UploadCLIRun.upload([files], server: server, endpoint: endpoint, extra: ["--jobs", "1"], timeout: 60)
            // On hoist's own clock (the summary's time), not the test's: a crowded machine
            // can take seconds just to start the process.
            let took = run.summary.firstMatch(of: #/ in (\d+):(\d\d) /#).map { Int($0.1)! * 60 + Int($0.2)! }
            #expect(try #require(took, "stderr: \(run.stderr)") < 15, "stderr: \(run.stderr)")
            #expect(run.status == 1)
            let lines = run.stdout.split(separator: "\n")
            #expect(lines.count == 3, "\(run.stdout)")
            for line in lines { #expect(line.hasPrefix("failed ") && line.contains("refused"), "\(line)") }
            #expect(run.summary.hasPrefix("hoist: 0 completed, 3 failed, 0 cancelled; "), "stderr: \(run.stderr)")
            #expect(run.summary.components(separatedBy: "refused").count == 2, "\(run.summary)")
            #expect(!run.stderr.contains("reset"), "stderr: \(run.stderr)")
        }
    }

    @Test("a port that answers but not in HTTP (an SSH banner): the file fails at once saying so, not retried as a network glitch")
    func notHTTPFailsAtOnce() async throws {
        try await TestServer.with { server in
            let files = try uploadCLIFiles([("a.txt", 10)])
            defer { try? FileManager.default.removeItem(atPath: files) }
            // A listener that greets every connection as sshd does, then closes it.
            let script = """
                import socket, sys, threading
                s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16); print(s.getsockname()[1], flush=True)
                def greet(c):
                    try: c.recv(4096); c.sendall(b"SSH-2.0-OpenSSH_9.2\\r\\n"); c.close()
                    except OSError: pass
                while True:
                    c, _ = s.accept(); threading.Thread(target=greet, args=(c,), daemon=True).start()
                """
            let banner = try await ChildProcess("/usr/bin/python3", ["-c", script])
            defer { banner.send(SIGKILL) }
            let port = try #require(Int(try await banner.firstLine(timeout: 30).trimmingCharacters(in: .whitespacesAndNewlines)))
            let run = try await UploadCLIRun.upload([files], server: server, endpoint: "http://127.0.0.1:\(port)", timeout: 60)
            #expect(run.status == 1)
            #expect(run.stdout.contains("is not HTTP") && run.stdout.contains("127.0.0.1:\(port)"), "\(run.stdout)")
            #expect(!run.stderr.contains("retrying"), "\(run.stderr)")
        }
    }

    @Test("an unreadable directory, given or inside one given, is a failure (exit 1), never a silent success")
    func unreadableDirectoryFails() async throws {
        try await TestServer.with { server in
            let files = try uploadCLIFiles([("tree/ok.txt", 10), ("tree/locked/hidden.txt", 10), ("top/inside.txt", 10)])
            defer {
                chmod(files + "/tree/locked", 0o755)
                chmod(files + "/top", 0o755)
                try? FileManager.default.removeItem(atPath: files)
            }
            chmod(files + "/tree/locked", 0)
            chmod(files + "/top", 0)
            let unprivileged = uploadCLIUnprivileged()
            let check = try await Shell.run((unprivileged + ["ls", files + "/top"]).map(Tmux.quote).joined(separator: " "))
            try #require(check.status != 0, "the child can read a mode-000 directory: the test proves nothing")

            let run = try await UploadCLIRun.upload([files + "/tree", files + "/top"], server: server, prefix: unprivileged)
            #expect(run.status == 1, "stderr: \(run.stderr)")
            let stdout = Set(run.stdout.split(separator: "\n").map { $0.replacingOccurrences(of: files, with: "F") })
            for directory in ["F/tree/locked", "F/top"] {
                #expect(stdout.contains { $0.hasPrefix("failed \(directory): ") && $0.contains("Permission denied") }, "\(run.stdout)")
            }
            #expect(stdout.count == 3 && stdout.contains { $0.hasPrefix("completed F/tree/ok.txt fil_") }, "\(run.stdout)")
            #expect(run.summary.hasPrefix("hoist: 1 completed, 2 failed, 0 cancelled; "), "stderr: \(run.stderr)")
        }
    }

    @Test("the same file given directly, through a link and in its directory: said once, uploaded once, exit 0")
    func duplicatePathSaidOnce() async throws {
        try await TestServer.with { server in
            let files = try uploadCLIFiles([("dir/a.txt", 1_000)])
            defer { try? FileManager.default.removeItem(atPath: files) }
            try FileManager.default.createSymbolicLink(atPath: files + "/link.txt", withDestinationPath: files + "/dir/a.txt")
            let run = try await UploadCLIRun.upload([files + "/dir/a.txt", files + "/link.txt", files + "/dir"], server: server)
            #expect(run.status == 0, "stdout: \(run.stdout)\nstderr: \(run.stderr)")
            let lines = run.stdout.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("completed \(files)/dir/a.txt fil_"), "\(run.stdout)")
            #expect(run.summary.hasPrefix("hoist: 1 completed, 0 failed, 0 cancelled; 1000 B in "), "stderr: \(run.stderr)")
            let stored = try await serverFiles(server)
            #expect(stored.count == 1, "\(stored)")
        }
    }

    @Test("links with relative targets lead where they point from their own directory: proj/current -> v2 uploads proj/v2's file, not ./v2's, and a link up (d/alink -> ../proj/v2/app.txt) is the same file, uploaded once")
    func relativeLinksLeadFromTheirOwnDirectory() async throws {
        try await TestServer.with { server in
            let files = try uploadCLIFiles([("proj/v2/app.txt", 1_000), ("v2/secret.txt", 700), ("d/other.txt", 10)])
            defer { try? FileManager.default.removeItem(atPath: files) }
            try FileManager.default.createSymbolicLink(atPath: files + "/proj/current", withDestinationPath: "v2")
            try FileManager.default.createSymbolicLink(atPath: files + "/d/alink", withDestinationPath: "../proj/v2/app.txt")
            let run = try await UploadCLIRun.upload([files + "/proj/current", files + "/d/alink"], server: server)
            #expect(run.status == 0, "stdout: \(run.stdout)\nstderr: \(run.stderr)")
            let lines = run.stdout.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("completed \(files)/proj/v2/app.txt fil_"), "\(run.stdout)")
            #expect(run.summary.hasPrefix("hoist: 1 completed, 0 failed, 0 cancelled; 1000 B in "), "stderr: \(run.stderr)")
            let stored = try await serverFiles(server)
            #expect(stored.count == 1, "\(stored)")
        }
    }
}
