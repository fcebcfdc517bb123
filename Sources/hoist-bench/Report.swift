import Foundation

/// The one table the bench prints: each measurement beside its peer, the ratio, the target
/// and whether it was met.
struct Report: Sendable {
    var plan: BenchPlan
    var large: LargeFileBench.Result
    var small: SmallFilesBench.Result
    /// The small files' three exchanges through the same HTTP stacks with no work done.
    var floor: HTTPFloor.Figures
    /// CPU time to MD5 one GiB in memory with hoist's implementation (no I/O).
    var md5Floor: Duration
    /// What the clients and server ran on, for the heading.
    var setting: String

    /// Client CPU per GiB may be at most the MD5 floor plus curl's CPU per GiB, plus 20 %.
    var cpuBudgetPerGiB: Duration { (md5Floor + perGiB(large.curlCPU)) * 1.2 }
    var cpuPasses: Bool { perGiB(large.hoistCPU) <= cpuBudgetPerGiB }

    func perGiB(_ cpu: Duration) -> Duration { cpu * (Double(1 << 30) / Double(max(large.bytes, 1))) }
    func perFile(_ cpu: Duration, files: Int? = nil) -> String {
        String(format: "%.0f µs/file", cpu.seconds * 1e6 / Double(max(files ?? small.files, 1)))
    }

    var largeRatio: Double { Self.rate(large.bytes, large.hoist) / Self.rate(large.bytes, large.curl) }
    var smallFilesPerSecond: Double { Self.rate(Int64(small.files), small.hoist) }
    var smallRatio: Double { smallFilesPerSecond / Self.rate(Int64(small.files), small.curl) }

    var largePasses: Bool { largeRatio >= BenchPlan.minimumLargeRatio }
    var rssPasses: Bool { large.hoistPeakRSS <= BenchPlan.maximumPeakRSS }
    var smallPasses: Bool { smallFilesPerSecond >= BenchPlan.minimumFilesPerSecond }
    var allPass: Bool { largePasses && rssPasses && smallPasses }

    /// The table, header and notes included.
    func render() -> String {
        let largeName = Self.size(large.bytes) + " file, one upload"
        let smallName = "\(small.files.formatted()) × \(Self.size(Int64(plan.smallFileBytes))), full lifecycle"
        let rows: [[String]] = [
            ["benchmark", "hoist", "curl", "hoist/curl", "target", "result"],
            [largeName,
             Self.seconds(large.hoist) + "  " + Self.megabytesPerSecond(large.bytes, large.hoist),
             Self.seconds(large.curl) + "  " + Self.megabytesPerSecond(large.bytes, large.curl),
             String(format: "%.2f", largeRatio), String(format: "≥ %.2f of curl", BenchPlan.minimumLargeRatio),
             Self.verdict(largePasses)],
            [Self.size(large.bytes) + " file, client CPU", Self.seconds(large.hoistCPU), Self.seconds(large.curlCPU),
             "", "", ""],
            [Self.size(large.bytes) + " file, hoist peak RSS", Self.mebibytes(large.hoistPeakRSS), "", "",
             "≤ " + Self.mebibytes(BenchPlan.maximumPeakRSS), Self.verdict(rssPasses)],
            [smallName,
             Self.seconds(small.hoist) + "  " + String(format: "%.0f files/s", smallFilesPerSecond),
             Self.seconds(small.curl) + "  " + String(format: "%.0f files/s", Self.rate(Int64(small.files), small.curl)),
             String(format: "%.2f", smallRatio), "≥ \(Int(BenchPlan.minimumFilesPerSecond).formatted()) files/s",
             Self.verdict(smallPasses)],
            ["small files, client CPU", Self.seconds(small.hoistCPU), Self.seconds(small.curlCPU), "", "", ""],
            ["MD5 floor, CPU per GiB (no I/O)", Self.seconds(md5Floor), "", "", "", ""],
            ["client CPU per GiB", Self.seconds(perGiB(large.hoistCPU)), Self.seconds(perGiB(large.curlCPU)), "",
             "≤ " + Self.seconds(cpuBudgetPerGiB) + " (floor + curl, +20%)", Self.verdict(cpuPasses)],
            ["server CPU per GiB (hoist's round)", Self.seconds(perGiB(large.serverCPU)), "", "", "", ""],
            ["client CPU per small file", perFile(small.hoistCPU), perFile(small.curlCPU), "", "", ""],
            ["server CPU per small file (hoist's run)", perFile(small.serverCPU), "", "", "", ""],
            ["small files, HTTP floor (the stacks alone)",
             Self.seconds(floor.elapsed) + "  " + String(format: "%.0f files/s", Self.rate(Int64(floor.files), floor.elapsed)),
             "", "", "", ""],
            ["HTTP floor CPU per small file, client; server",
             perFile(floor.clientCPU, files: floor.files) + "; " + perFile(floor.serverCPU, files: floor.files), "", "", "", ""],
            ["small files, hoist's time per call", Self.fineMilliseconds(small.timePerCall(jobs: plan.hoistJobs)), "", "", "", ""],
            ["small files, server's time per request", Self.serverTime(small.serverTime), "", "", "", ""],
        ]
        var lines = Self.table(rows)
        lines += [
            "",
            "large file: hoist = the whole `hoist upload` process (start, journal, create, PUT with MD5, complete);",
            "            curl = `curl -T` of the same file to a signed URL (session created before timing);",
            "            best of \(plan.largeFileRounds) round(s) each; peak RSS = hoist's own VmHWM (the client process only);",
            "            client CPU = user + system time of that round's client process (hoist hashes MD5; curl does not).",
            "small files: hoist = one `hoist upload DIR --jobs \(plan.hoistJobs)` (peak RSS \(Self.mebibytes(small.hoistPeakRSS)));",
            "             curl = xargs -P \(plan.curlParallel) over a bash script of create/PUT/complete (3 curl processes per file).",
            "HTTP floor = the same lifecycles' three requests, same sizes and jobs, through the same stacks (Hummingbird serving,",
            "             AsyncHTTPClient calling, hoist's client settings) in two processes that do no other work: canned",
            "             answers, no file read, no MD5, no journal, no database, no fsync (`hoist-bench floor-serve|floor-client`).",
            "Both sides talk to the same in-process server on 127.0.0.1 (the floor to its own); \(setting).",
            "server CPU = the bench process's own CPU while hoist ran (the in-process server, and the bench's waiting).",
            "time per call = hoist's time × jobs / files / 3 (three calls a file); server's time per request = the mean of",
            "                hoist_request_duration_seconds over hoist's run, read from the server's /metrics before and after.",
        ]
        return lines.joined(separator: "\n")
    }

    /// `rows` aligned (`align`), the first a header with a rule under it as wide as the widest line.
    static func table(_ rows: [[String]]) -> [String] {
        var lines = align(rows)
        lines.insert(String(repeating: "-", count: lines.map(\.count).max() ?? 0), at: min(1, lines.count))
        return lines
    }

    /// Left-aligned columns, two spaces apart, no trailing blanks.
    static func align(_ rows: [[String]]) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            let line = row.enumerated().map { column, cell in
                cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
            return String(line.reversed().drop { $0 == " " }.reversed())
        }
    }

    static func verdict(_ passes: Bool) -> String { passes ? "PASS" : "MISS" }

    static func seconds(_ duration: Duration) -> String {
        String(format: "%.2f s", duration.seconds)
    }

    static func milliseconds(_ duration: Duration) -> String {
        String(format: "%.0f ms", duration.seconds * 1000)
    }

    /// Milliseconds to two places: a call's parts are fractions of one.
    static func fineMilliseconds(_ duration: Duration) -> String {
        String(format: "%.2f ms", duration.seconds * 1000)
    }

    /// The server's mean time per request and how many it counted, or why there is none.
    static func serverTime(_ time: ServerRequestTime?) -> String {
        guard let time, let mean = time.mean else { return "- (no /metrics)" }
        return fineMilliseconds(mean) + " over \(time.requests.formatted()) requests"
    }

    static func rate(_ count: Int64, _ duration: Duration) -> Double {
        Double(count) / max(duration.seconds, 1e-9)
    }

    static func megabytesPerSecond(_ bytes: Int64, _ duration: Duration) -> String {
        String(format: "%.0f MB/s", rate(bytes, duration) / 1e6)
    }

    static func mebibytes(_ bytes: Int64) -> String {
        String(format: "%.1f MiB", Double(bytes) / Double(1 << 20))
    }

    /// A round binary size: `1 GiB`, `64 MiB`, `4 KiB`.
    static func size(_ bytes: Int64) -> String {
        for (unit, shift) in [("GiB", 30), ("MiB", 20), ("KiB", 10)] where bytes >= Int64(1) << shift {
            let value = Double(bytes) / Double(Int64(1) << shift)
            return value == value.rounded() ? "\(Int64(value)) \(unit)" : String(format: "%.1f \(unit)", value)
        }
        return "\(bytes) B"
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
