import Foundation
import HoistServer
import HoistTestSupport
import Testing

@testable import HoistEngine

#if canImport(Glibc)
import Glibc
#endif

/// What cannot be uploaded is refused before the network, and the same file is queued once.
@Suite struct PreflightTests {
    /// A regular, non-empty file this process cannot open for reading, linked as `name`
    /// into `directory`. Permission bits do not stop root, so as root the link points at a
    /// write-only kernel attribute: sysfs answers EACCES to every reader, root included.
    /// Nil when no such attribute exists here.
    static func unreadableFile(_ name: String, in directory: String) throws -> String? {
        let path = directory + "/" + name
        if getuid() != 0 {
            try TestFiles.write("secret", to: path)
            chmod(path, 0)
            return path
        }
        for candidate in ["/sys/bus/pci/rescan", "/sys/class/zram-control/hot_remove", "/sys/kernel/mm/transparent_hugepage/khugepaged/defrag"] {
            var info = stat()
            guard stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size > 0 else { continue }
            let descriptor = open(candidate, O_RDONLY | O_NONBLOCK)
            if descriptor >= 0 { close(descriptor); continue }
            guard errno == EACCES, symlink(candidate, path) == 0 else { continue }
            return path
        }
        return nil
    }

    /// The argument vector that runs `hoist` without the capabilities that let root read
    /// any file (so mode 000 means unreadable), or plain `hoist` when not root.
    static func hoistWithoutOverride() throws -> (String, [String])? {
        let binary = try HoistBinary.require()
        guard getuid() == 0 else { return (binary, []) }
        let setpriv = "/usr/bin/setpriv"
        guard FileManager.default.isExecutableFile(atPath: setpriv) else { return nil }
        return (setpriv, ["--bounding-set", "-dac_override,-dac_read_search", "--", binary])
    }

    @Test func filesPreflightRefusesNeverGetASession() async throws {
        try await EngineHarness.with { harness in
            let profile = harness.profile()
            let engine = try harness.engine(profile) {
                $0.rules = UploadRules(purposes: ["general": .init(mimeTypes: ["text/plain"], maxBytes: 1000)], luwExtensions: [])
            }
            let good = try harness.file("good.txt", size: 900)
            let empty = try harness.file("empty.txt", size: 0)
            let large = try harness.file("large.txt", size: 1001)
            let image = try harness.file("image.png", size: 10)
            let fifo = harness.files + "/pipe.txt"
            #expect(mkfifo(fifo, 0o644) == 0)
            var expected: [(String, String)] = [(empty, "empty"), (large, "too large"), (image, "type not allowed"), (fifo, "not a file")]
            let unreadable = try Self.unreadableFile("secret.txt", in: harness.files)
            if let unreadable { expected.append((unreadable, "unreadable")) }

            for (path, reason) in expected { #expect(engine.preflight(path)?.shortReason == reason, "\(path)") }
            #expect(engine.preflight(good) == nil)
            #expect(engine.preflight(harness.files) == nil)

            let ids = await engine.add(paths: [good] + expected.map(\.0))
            let events = try await collect(engine, ids)
            await engine.shutdown()
            #expect(events.completed(ids[0]) != nil, "\(events.kinds(ids[0]))")
            for (id, (path, _)) in zip(ids.dropFirst(), expected) {
                // One event, the failure preflight predicted: no session, no retry.
                #expect(events.kinds(id) == [.failed(try #require(engine.preflight(path)))], "\(path)")
            }
            let sessions = try await harness.api(profile).all()
            #expect(sessions.map(\.filename) == ["good.txt"])
            if unreadable == nil { Issue.record("no file here is unreadable to this user: the unreadable case was not tested") }
        }
    }

    @Test func unreadableDirectoryIsAFailedJobNotSilence() async throws {
        guard let (executable, prefix) = try Self.hoistWithoutOverride() else {
            Issue.record("running as root without setpriv: cannot make a directory unreadable")
            return
        }
        try await EngineHarness.with { harness in
            let ok = try harness.file("tree/ok.txt", size: 10)
            try harness.file("tree/locked/inner.txt", size: 10)
            try harness.file("closed/inner.txt", size: 10)
            let locked = harness.files + "/tree/locked", closed = harness.files + "/closed"
            chmod(locked, 0)
            chmod(closed, 0)
            defer {
                chmod(locked, 0o755)
                chmod(closed, 0o755)
            }
            var environment = ProcessInfo.processInfo.environment
            environment["HOIST_TEST_KEY"] = harness.server.key
            environment["XDG_STATE_HOME"] = harness.files + "/state"
            environment["HOIST_ENGINE"] = "foreground"
            environment["XDG_CONFIG_HOME"] = harness.files + "/config"
            let child = try await ChildProcess(executable, prefix + [
                "upload", harness.files + "/tree", closed, "--json", "--endpoint", harness.server.baseURL,
                "--dialect", "lightfield", "--api-key-env", "HOIST_TEST_KEY",
            ], environment: environment)
            let output = try await child.readStdout(until: { $0.components(separatedBy: "\n").filter { $0.contains(#""event":"completed""#) || $0.contains(#""event":"failed""#) }.count == 3 })
            #expect(await child.waitForExit() == 1)
            let lines = output.split(separator: "\n").map(String.init)
            #expect(lines.contains { $0.contains(#""event":"completed""#) && $0.contains(ok) })
            for directory in [locked, closed] {
                #expect(lines.contains {
                    $0.hasPrefix(#"{"event":"failed","path":"\#(directory)""#) && $0.contains("cannot read directory: Permission denied")
                        && $0.contains(#""error_code":"unreadable""#)
                }, "\(output)")
            }
            #expect(try await harness.api(harness.profile()).all().map(\.filename) == ["ok.txt"])
        }
    }

    @Test("the same file, however its path is spelled or met (a symlink to it, a directory given too), is one job; a hard link is a path of its own and a job of its own (a `cp -al` snapshot uploads every name)")
    func oneJobPerFileAndName() async throws {
        try await EngineHarness.with { harness in
            let path = try harness.file("dir/once.txt", size: 5000)
            let link = harness.files + "/link.txt"
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
            let hard = harness.files + "/other/hard.txt"
            try FileManager.default.createDirectory(atPath: harness.files + "/other", withIntermediateDirectories: true)
            try FileManager.default.linkItem(atPath: path, toPath: hard)
            let engine = try harness.engine(harness.profile()) { $0.startPaused = true }
            let log = EventLog()
            let reading = log.record(engine)
            let ids = await engine.add(paths: [path, link, hard])
            let again = await engine.add(paths: [harness.files + "/dir", harness.files + "/dir/../dir/once.txt", hard])
            #expect(ids.count == 3 && ids[0] == ids[1] && ids[2] != ids[0], "\(ids)")
            #expect(again == [ids[0], ids[0], ids[2]])
            await engine.resume()
            #expect(await waitUntil { ids.allSatisfy { log.ended($0) } })
            await engine.shutdown()
            await reading.value
            #expect(Set(log.events.map(\.job)) == Set(ids))
            for id in ids {
                #expect(log.events.kinds(id).filter { if case .queued = $0 { true } else { false } }.count == 1)
                #expect(log.events.completed(id) != nil, "\(log.events)")
            }
            let names = try await harness.api(harness.profile()).all().map(\.filename)
            #expect(names.sorted() == ["hard.txt", "once.txt"], "\(names)")
        }
    }
}
