import Foundation
import HoistTestSupport
import Testing

/// The embedded engine queues a large `u` a window at a time (issue 12): the files it has
/// not reached have no job yet, and a dropped SSH connection meanwhile must lose none.
@Suite struct TUIQueueWindowTests {
    @Test("SIGHUP while a u of 8,492 files waits for room: the next start brings back every one, paused; the server saw no session")
    func hangUpKeepsEveryFile() async throws {
        try await TestServer.with { ts in
            // Two windows of the engine's 4,096 and more: paused, the walk holds at the first.
            let count = 2 * 4096 + 300
            let files = try makeFiles((0..<count).map { (String(format: "w-%05d.txt", $0), 3) })
            defer { try? FileManager.default.removeItem(atPath: files) }
            try await TUIRun.with(server: ts, files: files) { first in
                // Every file counted: every slice handed over, and so journaled.
                try await first.queueAllPaused(count: count, first: "w-00000.txt")
                kill(try await first.pid(), SIGHUP)
                try await first.tmux.wait(for: "EXIT=129")

                try await TUIRun.with(server: ts, files: files, home: first.home) { second in
                    try await second.tmux.wait(for: "\(count) unfinished uploads from the last run, paused: p resumes", timeout: 60)
                    try await second.tmux.wait(for: "0/\(count) done", timeout: 60)
                    #expect(try await serverFiles(ts).isEmpty)
                    // Quitting drops them all at once, before any could be queued: the jobs
                    // the last run had and the paths its walk had not reached.
                    try await second.tmux.send("q")
                    try await second.tmux.wait(for: "Quit hoist?")
                    try await second.tmux.send("y")
                    try await second.tmux.wait(for: "EXIT=0", timeout: 60)
                }
                // ... and none comes back: the next start has nothing from the last run.
                try await TUIRun.with(server: ts, files: files, home: first.home) { third in
                    let screen = try await third.tmux.wait(for: "w-00000.txt", timeout: 60)
                    #expect(!screen.contains("unfinished upload"), "\(screen)")
                    try await third.tmux.send("q")
                    try await third.tmux.wait(for: "EXIT=0")
                }
            }
        }
    }
}
