import Foundation
import NIOCore
import enum HoistTestSupport.TempDirectory
import Testing

@testable import hoist_bench

@Suite("hoist-bench: a call's time split at the relay")
struct RelayTraceTests {
    private static let ms: UInt64 = 1_000_000
    private static let delay = Duration.milliseconds(20)

    /// One connection's lines: `steps` alternate requests and answers, each a list of
    /// (instant in ms, bytes) chunks.
    private func lines(connection: Int, _ steps: [(RelayTrace.Direction, [(UInt64, Int)])]) -> [String] {
        steps.flatMap { direction, chunks in
            chunks.map { "\(connection) \(direction.rawValue) \($0.0 * Self.ms) \($0.1)" }
        }
    }

    @Test("a request's last byte to its answer is the server's; an answer's last byte to the next request is the client's")
    func splitsCalls() throws {
        // Connection 1: a create, then a PUT in two chunks (head, body), each answered.
        let one = lines(connection: 1, [
            (.request, [(1000, 300)]),
            (.answer, [(1022, 200), (1023, 100)]),  // server 1022 - 1000 - 20 = 2 ms
            (.request, [(1044, 400), (1045, 4096)]), // client 1044 - 1023 - 20 = 1 ms
            (.answer, [(1069, 200)]),                // server 1069 - 1045 - 20 = 4 ms
        ])
        // Connection 2, written interleaved with 1 in the file: one call, then a request
        // whose answer never came before the window closed.
        let two = lines(connection: 2, [
            (.request, [(1010, 300)]),
            (.answer, [(1036, 200)]),                // server 6 ms
            (.request, [(1059, 300)]),               // client 3 ms
        ])
        let noise = ["not a line", "3 x 1020000000 10", "4 u 999000000 300", "4 d 2000000000 300"]
        let text = (zip(one, two).flatMap { [$0, $1] } + one.dropFirst(two.count) + noise).joined(separator: "\n")
        let split = try #require(RelayTrace.split(text, delay: Self.delay, window: (1000 * Self.ms)...(1100 * Self.ms)))
        #expect(split.calls == 3)
        #expect(split.serverSide == .milliseconds(4))   // (2 + 4 + 6) / 3
        #expect(split.clientSide == .milliseconds(2))   // (1 + 3) / 2
    }

    @Test("no answer after a request in the window: no split; one call per connection: no client side")
    func emptyAndSingleCalls() throws {
        #expect(RelayTrace.split("", delay: Self.delay, window: 0...UInt64.max) == nil)
        let requestsOnly = lines(connection: 1, [(.request, [(5, 10)])]).joined(separator: "\n")
        #expect(RelayTrace.split(requestsOnly, delay: Self.delay, window: 0...UInt64.max) == nil)
        let single = lines(connection: 1, [(.request, [(5, 10)]), (.answer, [(26, 10)])]).joined(separator: "\n")
        let split = try #require(RelayTrace.split(single, delay: Self.delay, window: 0...UInt64.max))
        #expect(split == RelayTrace.Split(calls: 1, serverSide: .milliseconds(1), clientSide: nil))
    }

    @Test("a tap exists only while the trace file does, and what it writes the split reads back")
    func tapWritesWhatSplitReads() throws {
        let path = TempDirectory.file("relay-trace-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(atPath: path) }
        // No file, no trace: the relay taps only connections accepted while it exists.
        #expect(RelayTrace.Tap(path: path, connection: 7) == nil)
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let tap = try #require(RelayTrace.Tap(path: path, connection: 7))
        let start = NIODeadline.uptimeNanoseconds(50 * Self.ms)
        tap.record(.request, bytes: 120, at: start)
        tap.record(.answer, bytes: 80, at: start + .milliseconds(23))
        tap.record(.request, bytes: 120, at: start + .milliseconds(44))
        tap.record(.answer, bytes: 80, at: start + .milliseconds(70))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.split(separator: "\n").count == 4)
        let split = try #require(RelayTrace.split(text, delay: Self.delay, window: 0...UInt64.max))
        #expect(split == RelayTrace.Split(calls: 2, serverSide: .microseconds(4500), clientSide: .milliseconds(1)))
    }
}
