import Foundation
import HoistTestSupport
import Testing

/// Through the background engine, the default, a large `u` is queued a window at a time as
/// with the engine in the view's process (issue 12): the engine holds jobs for the files on
/// their way, and every view counts the rest from the engine's word.
@Suite struct TUIBackgroundWindowTests {
    @Test("a u of 8,492 files through the background engine: held at a window of jobs, counted whole in this view and another, y drops them all")
    func uIsHeldAtTheEnginesWindow() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                let count = 2 * 4096 + 300
                let files = try makeFiles((0..<count).map { (String(format: "w-%05d.txt", $0), 3) })
                defer { try? FileManager.default.removeItem(atPath: files) }
                try await TUIRun.with(server: server, files: files, home: home.home, environment: home.environment) { first in
                    try await first.queueAllPaused(count: count, first: "w-00000.txt")
                    // The engine took the first slices (256, then 4,096) and holds the rest.
                    #expect(await waitUntil(timeout: 60) { ((try? await home.jobs()) ?? []).count >= 4096 })
                    let held = try await home.jobs().count
                    #expect(held <= 4096 + 512, "\(held) jobs in the engine")
                    // Another view hears from the engine what waits, and counts the whole too.
                    try await TUIRun.with(server: server, files: files, home: home.home, environment: home.environment) { second in
                        try await second.tmux.wait(for: "0/\(count) done", timeout: 60)
                    }
                    try await first.tmux.send("q")
                    try await first.tmux.wait(for: "Quit hoist?")
                    try await first.tmux.send("y")
                    try await first.tmux.wait(for: "EXIT=0", timeout: 60)
                }
                // Every job cancelled, and no slice queued after the cancel.
                let jobs = try await home.jobs()
                #expect(jobs.count <= 4096 + 512, "\(jobs.count) jobs")
                #expect(jobs.allSatisfy { $0["state"] as? String == "cancelled" }, "\(jobs.prefix(3))")
                #expect(try await serverFiles(server).isEmpty)
            }
        }
    }

    @Test("the terminal hangs up while a u of 30,000 files is still being checked: the view hands the rest to the background engine and goes; the next view counts every file")
    func hangUpMidU() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                let count = 30_000
                try await midU(home, server: server, count: count) { first, files in
                    let view = try await first.pid()
                    await first.tmux.kill()
                    // Mostly mid-`u` (the rest of it takes a few hundred ms); on a crowded
                    // machine the screen may be read only once the `u` is over, and the test
                    // then holds trivially. EventLoopTests' hang-up test covers the loop's
                    // part on a scripted screen, where it is always mid-`u`.
                    // The view goes once the engine has what it sent, not later than its hand-over bound.
                    #expect(await waitUntil(timeout: 30) { kill(view, 0) != 0 }, "the view is still running")
                    try await TUIRun.with(server: server, files: files, home: home.home, environment: home.environment) { second in
                        try await second.tmux.wait(for: "0/\(count) done", timeout: 60)
                    }
                }
            }
        }
    }

    /// `count` files marked and `u` pressed with the engine paused, once the first slice is
    /// on screen (the rest still being checked and handed over): what `body` does then.
    private func midU(_ home: BackgroundHome, server: TestServer, count: Int,
                      _ body: (TUIRun, _ files: String) async throws -> Void) async throws {
        let files = try makeFiles((0..<count).map { (String(format: "h-%05d.txt", $0), 3) })
        defer { try? FileManager.default.removeItem(atPath: files) }
        try await TUIRun.with(server: server, files: files, home: home.home, environment: home.environment) { first in
            try await first.tmux.wait(for: "h-00000.txt")
            try await first.tmux.send("p")
            try await first.tmux.wait(for: "paused: no new upload starts")
            try await first.tmux.send("a")
            try await first.tmux.wait(for: "\(count) marked")
            try await first.tmux.send("u")
            // The status line's count (`queued 256 items`), not a row's state.
            _ = try await first.tmux.wait(for: "the first slice queued") { $0.contains(/queued \d+ items/) }
            try await body(first, files)
        }
    }

    @Test("hoist stop while a u of 30,000 files is still being handed over: the slices that come during the stop are kept for the next engine, which counts every file")
    func stopMidU() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                let count = 30_000
                try await midU(home, server: server, count: count) { first, files in
                    let stopped = try await home.run(["stop"])
                    #expect(stopped.status == 0, "\(stopped.stderr)")
                    try await first.tmux.wait(for: "the background engine stopped", timeout: 60)
                    // The next engine (this view starts it) has every file: queued, or waiting its turn.
                    try await TUIRun.with(server: server, files: files, home: home.home, environment: home.environment) { second in
                        try await second.tmux.wait(for: "0/\(count) done", timeout: 60)
                    }
                }
            }
        }
    }

    @Test("the terminal hangs up mid-u while the engine is frozen (SIGSTOP): the view still goes within its hand-over bound, not when the engine wakes")
    func hangUpMidUWithAFrozenEngine() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                try await midU(home, server: server, count: 30_000) { first, _ in
                    let view = try await first.pid()
                    let engine = try #require(home.enginePID)
                    kill(engine, SIGSTOP)
                    defer { kill(engine, SIGCONT) }
                    await first.tmux.kill()
                    let started = ContinuousClock.now
                    #expect(await waitUntil(timeout: 40) { kill(view, 0) != 0 }, "the view waited for the frozen engine")
                    let took = ContinuousClock.now - started
                    #expect(took < .seconds(30), "the view went after \(took)")
                }
            }
        }
    }
}
