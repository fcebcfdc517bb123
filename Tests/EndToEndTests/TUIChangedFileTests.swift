import Foundation
import HoistTestSupport
import Testing

@Suite("hoist TUI in tmux: a file that changes while it uploads")
struct TUIChangedFileTests {
    @Test("a file appended to mid-upload is stopped within about 2 s, long before its last byte, and the row says changed")
    func changedFileStopsEarly() async throws {
        try await TestServer.with { server in
            try await TUIRun.slowUpload(server: server) { run in
                // 4 MB at 200 KB/s: about 20 s to go when the file changes.
                let path = run.files + "/slow.bin"
                let handle = try #require(FileHandle(forWritingAtPath: path))
                try handle.seekToEnd()
                try handle.write(contentsOf: Data("more".utf8))
                try handle.close()
                let changedAt = Date()
                try await run.tmux.wait(for: "changed")
                // Long before the last byte (20 s at the rate). The 2 s itself is held on the
                // engine's clock (FileWatchTests); this clock also counts a crowded
                // machine's delays in tmux and the test.
                let seconds = Date().timeIntervalSince(changedAt)
                #expect(seconds < 15, "noticed after \(seconds) s")
                let completed = try await serverFiles(server, named: "slow.bin").filter { $0["status"] as? String == "COMPLETED" }
                #expect(completed.isEmpty, "the changed file must not be completed")
            }
        }
    }
}
