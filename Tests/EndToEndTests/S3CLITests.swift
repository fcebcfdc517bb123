import Foundation
import HoistTestSupport
import Testing

/// `hoist upload`, `status`, `url`, `cancel`, `gc` and the TUI in the s3 dialect, the real
/// binary against moto's S3 server.
@Suite("hoist in the s3 dialect", .serialized)
struct S3CLITests {
    static let credentials: [String: String?] = ["AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "test-secret", "AWS_PROFILE": nil]

    static func flags(_ endpoint: String, _ bucket: String, prefix: String = "up/") -> [String] {
        ["--dialect", "s3", "--endpoint", endpoint, "--bucket", bucket, "--path-style", "--prefix", prefix]
    }

    static func run(_ arguments: [String], state: String? = nil, timeout: TimeInterval = 120) async throws -> UploadCLIRun {
        var environment = credentials
        if let state { environment["XDG_STATE_HOME"] = state }
        let run = try await UploadCLIRun(arguments, environment: environment)
        try await run.finish(timeout: timeout)
        return run
    }

    @Test("hoist upload: files and a directory, keys are the prefix plus the relative path, one line per file, --json names the key")
    func upload() async throws {
        let endpoint = try await MotoS3.endpoint()
        let bucket = try await MotoS3.makeBucket("cli")
        let files = try uploadCLIFiles([("a.txt", 1000), ("tree/sub/b b.bin", 30 << 20), ("tree/c+d.txt", 10)])
        defer { try? FileManager.default.removeItem(atPath: files) }
        // Run from the files directory so the paths are relative, as a user types them.
        let human = try await Self.runIn(files, ["upload", "a.txt", "tree", "--multipart-threshold", "16M"] + Self.flags(endpoint, bucket))
        #expect(human.status == 0, "stderr: \(human.stderr)")
        let humanLines = human.stdout.split(separator: "\n")
        #expect(humanLines.count == 3 && humanLines.allSatisfy { $0.hasPrefix("completed ") }, "\(human.stdout)")
        #expect(humanLines.contains { $0.contains("up/tree/sub/b b.bin") && $0.contains("md5=") && $0.hasSuffix("-4") })
        let run = try await Self.runIn(files, ["upload", "a.txt", "tree", "--multipart-threshold", "16M", "--json"] + Self.flags(endpoint, bucket))
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let lines = run.stdout.split(separator: "\n")
        let completed = lines.filter { $0.contains(#""event":"completed""#) }
        #expect(completed.count == 3)
        #expect(completed.contains { $0.contains(#""key":"up/tree/sub/b b.bin""#) })
        for name in ["a.txt", "tree/sub/b b.bin", "tree/c+d.txt"] {
            let stored = try await MotoS3.object(bucket: bucket, key: "up/" + name)
            #expect(stored == (try Data(contentsOf: URL(fileURLWithPath: files + "/" + name))), "up/\(name)")
        }
        #expect(try await MotoS3.multipartUploads(bucket: bucket).isEmpty)
    }

    @Test("hoist cancel KEY against a store that keeps answering 503 SlowDown: each try is said on stderr as it is given up, then the failure names the key; exit 1, and the upload stays for a later cancel")
    func cancelSaysEachTry() async throws {
        let endpoint = try await MotoS3.endpoint()
        let bucket = try await MotoS3.makeBucket("cancel-retry")
        let open = try await MotoS3.openMultipartUpload(bucket: bucket, key: "up/held.bin")
        try await FaultProxy.with(upstream: endpoint) { proxy in
            proxy.inject(.s3Error(status: 503, code: "SlowDown", message: "Please reduce your request rate."), on: "GET /\(bucket)", times: 100)
            let cancel = try await Self.run(["cancel", "up/held.bin"] + Self.flags(proxy.baseURL, bucket))
            #expect(cancel.status == 1 && cancel.stdout.isEmpty, "\(cancel.stdout)")
            let lines = cancel.stderr.split(separator: "\n").map(String.init)
            let tries = lines.filter { $0.hasPrefix("hoist: cancel up/held.bin: ") && $0.contains("asking again (try ") }
            #expect(tries.count == 3 && tries.last?.hasSuffix("(try 4 of 4)") == true, "\(cancel.stderr)")
            #expect(tries.allSatisfy { $0.contains("SlowDown") }, "\(cancel.stderr)")
            #expect(lines.last?.hasPrefix("hoist: cancel up/held.bin: ") == true && lines.last?.contains("asking again") == false, "\(cancel.stderr)")
            #expect(proxy.faultsFired == 4)
        }
        #expect(try await MotoS3.multipartUploads(bucket: bucket).contains { $0.uploadID == open })
    }

    @Test("hoist upload . names its files by their paths below it (up/f.txt, up/sub/g.txt), never up/./f.txt; .. names the directory it leads to")
    func currentDirectory() async throws {
        let endpoint = try await MotoS3.endpoint()
        let bucket = try await MotoS3.makeBucket("dot")
        let files = try uploadCLIFiles([("here/f.txt", 10), ("here/sub/g.txt", 20)])
        defer { try? FileManager.default.removeItem(atPath: files) }
        let dot = try await Self.runIn(files + "/here", ["upload", "."] + Self.flags(endpoint, bucket))
        #expect(dot.status == 0, "stderr: \(dot.stderr)")
        let up = try await Self.runIn(files + "/here/sub", ["upload", ".."] + Self.flags(endpoint, bucket, prefix: "parent/"))
        #expect(up.status == 0, "stderr: \(up.stderr)")
        let keys = Set(try await MotoS3.keys(bucket: bucket))
        #expect(keys == ["up/f.txt", "up/sub/g.txt", "parent/here/f.txt", "parent/here/sub/g.txt"], "\(keys)")
    }

    /// Runs hoist with `directory` as its working directory.
    static func runIn(_ directory: String, _ arguments: [String]) async throws -> UploadCLIRun {
        let run = try await UploadCLIRun(arguments, environment: Self.credentials, directory: directory)
        try await run.finish(timeout: 120)
        return run
    }

    @Test("kill -9 mid multipart: gc leaves the journal's upload alone, the next run sends only the missing parts")
    func killAndResume() async throws {
        let endpoint = try await MotoS3.endpoint()
        let bucket = try await MotoS3.makeBucket("kill")
        let files = try uploadCLIFiles([("big.bin", 64 << 20)])
        let state = try TempDirectory.make(prefix: "hoist-s3-state")
        defer {
            try? FileManager.default.removeItem(atPath: files)
            try? FileManager.default.removeItem(atPath: state)
        }
        try await FaultProxy.with(upstream: endpoint) { proxy in
            let flags = Self.flags(proxy.baseURL, bucket) + ["--multipart-threshold", "16M", "--part-jobs", "2"]
            var environment = Self.credentials
            environment["XDG_STATE_HOME"] = state
            // 8 s at the rate: the kill, after three parts, leaves parts to send even when a
            // crowded machine is slow to see them journaled.
            let first = try await UploadCLIRun(["upload", files + "/big.bin", "--limit-rate", "8M"] + flags, environment: environment)
            let journal = state + "/hoist/journal.sqlite"
            #expect(await waitUntil(timeout: 60) {
                let text = (try? await Shell.run("sqlite3 \(Tmux.quote(journal)) 'SELECT count(*) FROM part'"))?.stdout ?? ""
                return (Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) >= 3
            })
            first.send(SIGKILL)
            try await first.finish(timeout: 10)
            let kept = try await Shell.run("sqlite3 \(Tmux.quote(journal)) 'SELECT number FROM part'").stdout
                .split(separator: "\n").compactMap { Int($0) }
            let open = try await MotoS3.multipartUploads(bucket: bucket)
            #expect(open.count == 1)
            // Parts the store took whose journal write the kill cut off: hoist checks them
            // against the file's bytes instead of sending them again.
            // gc: the upload belongs to an unfinished journal entry, so it stays.
            // So does gc under a shorter prefix, or none, whose listing meets it too.
            for prefix in ["up/", "up", ""] {
                let gc = try await Self.run(["gc", "--older-than", "0s", "--multipart-threshold", "16M"]
                                            + Self.flags(proxy.baseURL, bucket, prefix: prefix), state: state)
                #expect(gc.status == 0, "\(prefix): \(gc.stderr)")
                #expect(!gc.stdout.contains("aborted"), "\(prefix): \(gc.stdout)")
                #expect(try await MotoS3.multipartUploads(bucket: bucket).count == 1, "\(prefix)")
            }

            let before = proxy.requestLines.count
            let second = try await Self.run(["upload", files + "/big.bin"] + flags, state: state)
            #expect(second.status == 0, "stderr: \(second.stderr)")
            // It says what the store held, and its summary counts only what this run sent.
            let resumedLine = try #require(second.stderr.firstMatch(of: /resuming .*big\.bin: (\d+) of (\d+) bytes already stored/))
            let held = try #require(Int64(resumedLine.1))
            #expect(held > 0 && resumedLine.2 == "\(64 << 20)")
            let summary = try #require(second.stderr.firstMatch(of: /1 completed, 0 failed, 0 cancelled; ([0-9.]+) MiB in/))
            let sentMiB = try #require(Double(summary.1))
            #expect(abs(sentMiB - Double((64 << 20) - held) / 1_048_576) < 0.2, "\(second.stderr)")
            let resent = FaultProxy.partNumbers(proxy.requestLines[before...])
            #expect(Set(resent).isDisjoint(with: kept), "journaled parts \(kept) were sent again: \(resent)")
            // A PUT that failed is sent again (a retry); a part the store took never is.
            let stored = proxy.storedPartNumbers
            #expect(stored.count == Set(stored).count, "a part was stored twice: \(stored)")
            // A part neither journaled nor sent again was one the store took as the client
            // died, checked against the file's bytes; the byte-identical object below shows
            // that every part is there.
            #expect(try await MotoS3.object(bucket: bucket, key: "up/big.bin") == (try Data(contentsOf: URL(fileURLWithPath: files + "/big.bin"))))
            #expect(try await MotoS3.multipartUploads(bucket: bucket).isEmpty)
        }
    }

    @Test("status, url --expires, cancel and gc: what they print and what the bucket holds after")
    func remoteCommands() async throws {
        let endpoint = try await MotoS3.endpoint()
        let bucket = try await MotoS3.makeBucket("cmd")
        let files = try uploadCLIFiles([("s.txt", 4321)])
        defer { try? FileManager.default.removeItem(atPath: files) }
        let flags = Self.flags(endpoint, bucket)
        let upload = try await Self.run(["upload", files + "/s.txt"] + flags)
        #expect(upload.status == 0, "\(upload.stderr)")

        let status = try await Self.run(["status", "up/s.txt"] + flags)
        let local = try Data(contentsOf: URL(fileURLWithPath: files + "/s.txt"))
        #expect(status.stdout.contains("sizeBytes: 4321") && status.stdout.contains("etag: \(MD5Hex.of(local))"), "\(status.stdout)\(status.stderr)")
        let missing = try await Self.run(["status", "up/none.txt"] + flags)
        #expect(missing.status == 1 && missing.stderr.contains("404") && missing.stderr.contains("no object up/none.txt"), "\(missing.stderr)")
        let noBucket = try await Self.run(["status", "up/s.txt"] + Self.flags(endpoint, bucket + "-gone"))
        #expect(noBucket.status == 1 && noBucket.stderr.contains("no bucket \(bucket)-gone"), "\(noBucket.stderr)")
        // No URL for an object that is not there: it could only answer 404.
        let noURL = try await Self.run(["url", "up/none.txt"] + flags)
        #expect(noURL.status == 1 && noURL.stdout.isEmpty && noURL.stderr.contains("no object up/none.txt"), "\(noURL.stderr)")

        let url = try await Self.run(["url", "up/s.txt", "--expires", "15m"] + flags)
        let link = url.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(link.contains("X-Amz-Expires=900") && link.contains("X-Amz-Signature="))
        #expect(try await TestHTTP.send(.GET, link).body == local)
        #expect(try await Self.run(["url", "up/s.txt", "--expires", "8d"] + flags).status != 0)

        let pendingID = try await MotoS3.openMultipartUpload(bucket: bucket, key: "up/pending.bin")
        let cancel = try await Self.run(["cancel", "up/pending.bin"] + flags)
        #expect(cancel.status == 0 && cancel.stdout.contains("cancelled up/pending.bin"), "\(cancel.stderr)")
        #expect(try await MotoS3.multipartUploads(bucket: bucket).allSatisfy { $0.uploadID != pendingID })
        #expect(try await Self.run(["cancel", "up/pending.bin"] + flags).status == 1)

        _ = try await MotoS3.openMultipartUpload(bucket: bucket, key: "up/orphan-1")
        _ = try await MotoS3.openMultipartUpload(bucket: bucket, key: "up/orphan-2")
        _ = try await MotoS3.openMultipartUpload(bucket: bucket, key: "elsewhere/keep")
        let dry = try await Self.run(["gc", "--dry-run", "--older-than", "1h"] + flags)
        #expect(dry.stdout.split(separator: "\n").filter { $0.hasPrefix("would abort up/orphan-") }.count == 2, "\(dry.stdout)")
        #expect(try await MotoS3.multipartUploads(bucket: bucket).count == 3)
        let gc = try await Self.run(["gc", "--older-than", "1h"] + flags)
        #expect(gc.status == 0 && gc.stdout.split(separator: "\n").filter { $0.hasPrefix("aborted up/orphan-") }.count == 2, "\(gc.stdout)\(gc.stderr)")
        #expect(try await MotoS3.multipartUploads(bucket: bucket).map(\.key) == ["elsewhere/keep"])
    }

    @Test("through the background engine: each s3 file gets its session and completed lines with its key, and the command exits 0")
    func throughEngine() async throws {
        let endpoint = try await MotoS3.endpoint()
        let bucket = try await MotoS3.makeBucket("engine")
        let files = try uploadCLIFiles([("a.txt", 1000), ("b.bin", 20 << 20)])
        defer { try? FileManager.default.removeItem(atPath: files) }
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                // The engine is a process of its own: its events reach this command as wire
                // lines, which once dropped s3's `key` and left the command waiting for ever.
                let upload = "env -u AWS_PROFILE AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=test-secret timeout 120 "
                    + (try home.command(["upload", files + "/a.txt", files + "/b.bin", "--json", "--multipart-threshold", "8M"]
                        + Self.flags(endpoint, bucket)))
                let result = try await Shell.run(upload)
                #expect(result.status == 0, "stderr: \(result.stderr)")
                let lines = result.stdout.split(separator: "\n")
                for name in ["a.txt", "b.bin"] {
                    #expect(lines.contains { $0.contains(#""event":"session""#) && $0.contains(#""key":"up/\#(name)""#) }, "\(result.stdout)")
                    #expect(lines.contains { $0.contains(#""event":"completed""#) && $0.contains(#""key":"up/\#(name)""#) }, "\(result.stdout)")
                    let stored = try await MotoS3.object(bucket: bucket, key: "up/" + name)
                    #expect(stored == (try Data(contentsOf: URL(fileURLWithPath: files + "/" + name))), "up/\(name)")
                }
                #expect(home.enginePID != nil, "the upload went through the background engine")
            }
        }
    }

    @Test("no AWS credentials anywhere: a clear error naming where hoist looked, exit 2, nothing sent")
    func missingCredentials() async throws {
        let files = try uploadCLIFiles([("a.txt", 10)])
        defer { try? FileManager.default.removeItem(atPath: files) }
        let run = try await UploadCLIRun(["upload", files + "/a.txt", "--dialect", "s3", "--bucket", "some-bucket", "--endpoint", "http://127.0.0.1:9"],
                                   environment: ["AWS_ACCESS_KEY_ID": nil, "AWS_SECRET_ACCESS_KEY": nil, "AWS_PROFILE": nil])
        try await run.finish()
        #expect(run.status == 2)
        #expect(run.stderr.contains("AWS_ACCESS_KEY_ID") && run.stderr.contains(".aws/credentials"), "\(run.stderr)")
    }

    @Test("the TUI uploads to a bucket: the row reaches done and the object is byte-identical")
    func tui() async throws {
        let endpoint = try await MotoS3.endpoint()
        let bucket = try await MotoS3.makeBucket("tui")
        let files = try makeFiles([("pic.bin", 3_000_000)])
        let home = try TempDirectory.make(prefix: "hoist-tui-home")
        defer {
            try? FileManager.default.removeItem(atPath: files)
            try? FileManager.default.removeItem(atPath: home)
        }
        let env = [
            "HOME": home, "XDG_CONFIG_HOME": home + "/config", "XDG_STATE_HOME": home + "/state", "XDG_DATA_HOME": home + "/data",
            "LANG": "C.UTF-8", "TERM": "xterm-256color", "HOIST_ENGINE": "foreground",
            "AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "test-secret",
        ].sorted { $0.key < $1.key }.map { "\($0.key)=\(Tmux.quote($0.value))" }.joined(separator: " ")
        let command = "env \(env) " + ([try HoistBinary.require(), files] + Self.flags(endpoint, bucket, prefix: "tui/")).map(Tmux.quote).joined(separator: " ")
        let tmux = try await Tmux(command)
        try await withAwaitedCleanup(tmux, cleanup: { await $0.kill() }) { tmux in
            try await tmux.wait(forAll: ["pic.bin", "bucket \(bucket)"])
            try await tmux.send("u")
            try await tmux.wait(for: "the row done") { screen in queueHalf(screen).contains { $0.contains("pic.bin") && $0.contains(" done ") } }
            let stored = try await MotoS3.object(bucket: bucket, key: "tui/pic.bin")
            #expect(stored == (try Data(contentsOf: URL(fileURLWithPath: files + "/pic.bin"))))
            try await tmux.send("q")
            try await tmux.wait(for: "EXIT=0")
        }
    }
}
