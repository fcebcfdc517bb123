import Foundation
import HoistTestSupport
import Testing

/// `hoist jobs` against a real background engine: the list is folded a job at a time and
/// held on disk until it is whole, then printed.
@Suite("hoist jobs: the whole list, in id order, and a reader that goes away")
struct JobsCommandTests {
    @Test("hoist jobs lists every job once in id order, as text and as JSON; piped to head it stops quietly with exit 0")
    func listsEveryJob() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                let tree = URL(fileURLWithPath: try TempDirectory.make(prefix: "hoist-jobs-tree")).standardizedFileURL.path
                for index in 0..<1_500 {
                    try Data("job \(index)\n".utf8).write(to: URL(fileURLWithPath: tree + "/f\(index).txt"))
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
}
