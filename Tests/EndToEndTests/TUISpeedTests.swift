import Foundation
import HoistServer
import HoistTestSupport
import Testing

/// The live numbers against the truth: the real binary in tmux at 120×40, a 300 MB upload
/// held to 2 MiB/s by `--limit-rate 2M`, the screen read every second.
@Suite("hoist TUI in tmux: live speed and ETA", .serialized)
struct TUISpeedTests {
    struct Sample {
        var t: Double
        var status: Double?
        var row: Double?
        var eta: Double?
        var serverBytes: Int64
        /// The row still said uploading (else its PUT is over: completing, no speed to show).
        var uploading = true
    }

    /// `2.0 MiB/s` → bytes per second; nil for `--`.
    static func rate(_ text: Substring) -> Double? {
        guard let match = text.firstMatch(of: /([0-9.]+) (B|KiB|MiB|GiB)\/s/), let value = Double(match.1) else { return nil }
        let scale: [Substring: Double] = ["B": 1, "KiB": 1024, "MiB": 1024 * 1024, "GiB": 1024 * 1024 * 1024]
        return value * (scale[match.2] ?? 1)
    }

    /// `2:15 left` or `1:02:03 left` → seconds; nil for `-- left`.
    static func eta(_ text: Substring) -> Double? {
        guard let match = text.firstMatch(of: /(\d+):(\d\d)(?::(\d\d))? left/) else { return nil }
        let parts = [match.1, match.2, match.3 ?? ""].compactMap { Double($0) }
        return parts.reduce(0) { $0 * 60 + $1 }
    }

    /// Bytes the server (process `pid`) has written under its data directory: its blobs, and
    /// the body it is receiving, in a temporary file that may have no name (read through the
    /// server's descriptors).
    static func serverBytes(_ directory: String, pid: pid_t) -> Int64 {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return 0 }
        let open = TestServer.openFileStatus(in: directory + "/tmp", pid: pid) ?? []
        var total = open.reduce(0) { $0 + Int64($1.st_size) }
        // A body linked into blobs/ but not yet closed is one file, not two.
        let openInodes = Set(open.map { UInt64($0.st_ino) })
        while let name = walker.nextObject() as? String {
            if name == "tmp" { walker.skipDescendants() }
            let inode = (walker.fileAttributes?[.systemFileNumber] as? NSNumber)?.uint64Value
            if let inode, openInodes.contains(inode) { continue }
            if (walker.fileAttributes?[.type] as? FileAttributeType) == .typeRegular, !name.hasSuffix(".sqlite"), !name.contains(".sqlite-") {
                total += (walker.fileAttributes?[.size] as? NSNumber)?.int64Value ?? 0
            }
        }
        return total
    }

    @Test("120×40, --limit-rate 2M, 300 MB: every speed after the PUT's first 2 s within 25% of the true rate, every ETA within 25% of the time really left")
    func liveSpeedAndETA() async throws {
        // The server runs as a process of its own: it is the meter of the truth here, and
        // in-process it shared the test process's thread pool with every other suite, so a
        // starved pool left its file 3 MB behind what the socket had delivered (a 36% "error"
        // while hoist showed exactly the --limit-rate).
        try await ServeProcess.with { ts in
            let files = try TempDirectory.make(prefix: "hoist-tui-speed")
            let size: Int64 = 300_000_000
            let made = try await Shell.run("head -c \(size) /dev/urandom > '\(files)/big.bin'")
            #expect(made.status == 0)
            try await TUIRun.with(server: ts, files: files, extra: ["--limit-rate", "2M"], columns: 120, rows: 40) { run in
                try await run.tmux.wait(for: "big.bin")
                let baseline = Self.serverBytes(ts.dataDirectory, pid: ts.child.processIdentifier)
                try await run.tmux.send("u")
                // The clock starts with the PUT (the row says uploading once the session exists):
                // on a loaded machine creating the session alone can take a second or two.
                try await run.tmux.wait(for: "the row uploading") { screen in
                    screen.split(separator: "\n").contains { $0.contains("big.bin") && $0.contains("uploading") }
                }
                let start = Date()
                var samples: [Sample] = []
                var lastSample = -1.0
                var end: Double?
                _ = try await waitUntil(timeout: 400, every: .milliseconds(100)) {
                    let screen = try await run.tmux.screen()
                    let t = Date().timeIntervalSince(start)
                    if screen.contains("1/1 done") {
                        end = t
                        return true
                    }
                    guard t - lastSample >= 1 else { return false }
                    lastSample = t
                    let lines = screen.split(separator: "\n")
                    let status = lines.first { $0.contains(" done  ") } ?? ""
                    let row = lines.first { $0.contains("big.bin") && $0.contains("uploading") }
                        .map { Substring($0.components(separatedBy: "││").last ?? "") }
                    samples.append(Sample(t: t, status: Self.rate(status), row: row.flatMap(Self.rate), eta: Self.eta(status),
                                          serverBytes: Self.serverBytes(ts.dataDirectory, pid: ts.child.processIdentifier) - baseline, uploading: row != nil))
                    return false
                }
                let finished = try #require(end, "the upload did not finish in 400 s")
                // The truth: bytes over time, on the server's side of the connection.
                let trueRate = Double(size) / finished
                let measured = samples.filter { $0.t >= 10 && $0.t <= finished - 10 }
                let serverRate = measured.count >= 2
                    ? Double(measured.last!.serverBytes - measured.first!.serverBytes) / (measured.last!.t - measured.first!.t) : trueRate
                print(String(format: "live speed: 300 MB in %.1f s = %.3f MiB/s end to end; server-side %.3f MiB/s; limit 2.000 MiB/s",
                             finished, trueRate / 1_048_576, serverRate / 1_048_576))
                // The true rate at each sample: what the server took over the 5 s before it (the
                // window hoist's figure covers), so that a machine slowed by other work is judged
                // against what really happened, not against the limit it could not reach.
                func takenRate(at i: Int) -> Double {
                    let j = samples.lastIndex { $0.t <= samples[i].t - 5 } ?? 0
                    guard samples[i].t > samples[j].t else { return trueRate }
                    return Double(samples[i].serverBytes - samples[j].serverBytes) / (samples[i].t - samples[j].t)
                }
                print("   t(s)  status MiB/s  row MiB/s  server MiB/s (5 s)  ETA(s)  true left(s)  server MiB")
                func column(_ value: Double?, _ format: String, _ width: Int) -> String {
                    let text = value.map { String(format: format, $0) } ?? "--"
                    return String(repeating: " ", count: max(0, width - text.count)) + text
                }
                for (i, sample) in samples.enumerated() {
                    print(column(sample.t, "%.1f", 7) + column(sample.status.map { $0 / 1_048_576 }, "%.2f", 14)
                          + column(sample.row.map { $0 / 1_048_576 }, "%.2f", 11) + column(takenRate(at: i) / 1_048_576, "%.2f", 20)
                          + column(sample.eta, "%.0f", 8)
                          + column(finished - sample.t, "%.1f", 14) + column(Double(sample.serverBytes) / 1_048_576, "%.1f", 12))
                }
                var worstSpeed = 0.0, worstETA = 0.0
                for (i, sample) in samples.enumerated() where sample.t >= 2 {
                    // Judge a speed once the server's own 5 s window is full: before that the
                    // "truth" still averages in the start-up, and reads low.
                    let truth = takenRate(at: i)
                    let windowFull = samples.contains { $0.t <= sample.t - 5 }
                    // A sample this loop took late (it reads the screen and the server's file
                    // once a second, about 1.05 s apart when not starved) was itself starved by the load: its reading of the server's
                    // bytes is not the truth of that moment (seen: 1.7 s gap, the server's file
                    // 4 MB behind for one sample, right the next). Its speed is not judged.
                    // The first sample is due about 1 s after the row says uploading; one taken
                    // at 2.6 s on a crowded CI machine found the TUI starved too.
                    let sampledLate = sample.t - (i > 0 ? samples[i - 1].t : 0) > 1.3
                    // Read after the server had every byte and the row had left uploading (its
                    // complete call slow on a loaded machine): the PUT is over, no speed is due.
                    if !sample.uploading && sample.serverBytes >= size { continue }
                    for shown in [sample.status, sample.row] {
                        guard let shown else {
                            if !sampledLate { Issue.record("no speed shown at \(sample.t) s") }
                            continue
                        }
                        guard windowFull, !sampledLate else { continue }
                        let error = abs(shown - truth) / truth
                        worstSpeed = max(worstSpeed, error)
                        #expect(error <= 0.25, "at \(sample.t) s the speed read \(shown) B/s, the server took \(truth) B/s")
                    }
                    let left = finished - sample.t
                    // The screen shows whole seconds, up to a frame late: judge where a second is
                    // small against what is left (10 s), so rounding alone cannot make 25%.
                    guard left >= 10 else { continue }
                    guard let eta = sample.eta else {
                        Issue.record("no ETA shown at \(sample.t) s")
                        continue
                    }
                    let error = abs(eta - left) / left
                    worstETA = max(worstETA, error)
                    #expect(error <= 0.25, "at \(sample.t) s the ETA read \(eta) s, truly \(left) s")
                }
                print(String(format: "worst speed error %.1f%%, worst ETA error %.1f%% over %d samples", worstSpeed * 100, worstETA * 100,
                             samples.filter { $0.t >= 2 }.count))
                #expect(samples.count >= 100)
                try await run.tmux.send("q")
                try await run.tmux.wait(for: "EXIT=0")
            }
            try? FileManager.default.removeItem(atPath: files)
        }
    }
}
