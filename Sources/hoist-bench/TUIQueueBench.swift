import Foundation

/// The TUI holding a queue of many files (issue 12): `hoist` in tmux (100×30) on a
/// directory of `count` tiny files, `a` marks them all, `u` queues them, as a person does.
/// How soon the first upload ends, how fast a key is answered while the queue is held, and
/// the TUI's peak RSS.
struct TUIQueueBench: Sendable {
    let workspace: BenchWorkspace
    let executable: String
    let count: Int
    /// How many times the help overlay is opened and closed to time the answer to a key.
    var presses = 10
    /// Through the background engine, as `hoist` runs by default: the view then holds rows
    /// for the engine's window and the engine's count of the files waiting.
    var background = false

    /// Targets: a key answered within 100 ms; the first session (bounded here by the first
    /// file done) within 1 s of `u`; the TUI within 64 MiB.
    static let maximumKeyLatency: Duration = .milliseconds(100)

    struct Result: Sendable {
        var files: Int
        /// From `u` to the status line's first file done: the session was created before.
        var firstDone: Duration
        /// From `u` to the status line counting every file.
        var allQueued: Duration
        /// From each `?` to the help overlay on the screen, and back.
        var keyLatencies: [Duration]
        /// From each character typed into the `/` filter to the browser's first row
        /// showing the first of the directory's names that match.
        var filterLatencies: [Duration]
        var peakRSS: Int64
        /// Through the background engine: the engine's own VmHWM at the same moment (another
        /// process; no target).
        var enginePeakRSS: Int64? = nil
    }

    func run(log: (String) -> Void) async throws -> Result {
        let name = background ? "tui-queue-background" : "tui-queue"
        let directory = workspace.sourceDirectory + "/" + name
        log("\(name): writing \(count.formatted()) files")
        try QueueBench.writeTinyFiles(in: directory, count: count)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        var environment = workspace.childEnvironment(run: name)
        environment["TERM"] = "xterm-256color"
        environment["LANG"] = "C.UTF-8"
        if background { environment["HOIST_ENGINE"] = "background" }
        return try await workspace.stoppingEngine(if: background, executable, run: name) {
            try await hold(directory, environment: environment, name: name, log: log)
        }
    }

    /// The TUI in tmux on `directory`: `a`, `u`, then the keys timed while it holds the queue.
    private func hold(_ directory: String, environment: [String: String], name: String, log: (String) -> Void) async throws -> Result {
        let assignments = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\(BenchTmux.quote($0.value))" }
        let command = (["exec", "env"] + assignments + [BenchTmux.quote(executable), BenchTmux.quote(directory),
            "--endpoint", workspace.endpoint, "--dialect", "lightfield", "--api-key-env", BenchWorkspace.keyVariable])
            .joined(separator: " ")
        let tmux = BenchTmux(workspace: workspace)
        try await tmux.start(command, columns: 100, rows: 30)
        return try await tmux.whileRunning {
            guard let pid = try await tmux.panePID() else { throw BenchError("tmux named no pid for the TUI") }

            try await tmux.waitFor("q-000000.txt", timeout: 120)
            try await tmux.send("a")
            try await tmux.waitFor(timeout: 120) { Self.marked($0) == count }
            log("\(name): \(count.formatted()) marked; u")
            try await tmux.send("u")
            let sent = ContinuousClock.now
            try await tmux.waitFor(timeout: 60, every: .milliseconds(5)) { (Self.done($0)?.done ?? 0) > 0 }
            let firstDone = ContinuousClock.now - sent
            try await tmux.waitFor(timeout: 300, every: .milliseconds(20)) { Self.done($0)?.total == count }
            let allQueued = ContinuousClock.now - sent
            log("\(name): first done after \(Report.seconds(firstDone)), all \(count.formatted()) queued after \(Report.seconds(allQueued))")

            var latencies: [Duration] = []
            for _ in 0..<presses {
                let helpShown = { (screen: String) in screen.contains(Self.helpText) }
                for shown in [true, false] {
                    try await tmux.send("?")
                    latencies.append(try await tmux.waitFor(timeout: 10, every: .milliseconds(2)) { helpShown($0) == shown })
                }
            }
            // The filter: each character narrows all of the directory's names, while the
            // queue is held (`u` leaves the browser focused).
            var filterLatencies: [Duration] = []
            try await tmux.send("/")
            for (typed, first) in Self.filterSteps {
                try await tmux.send(typed)
                filterLatencies.append(try await tmux.waitFor(timeout: 10, every: .milliseconds(2)) {
                    Self.firstBrowserRow($0)?.contains(first) == true
                })
            }
            try await tmux.send("Escape")
            guard let done = Self.done(try await tmux.screen()), done.done < done.total else {
                throw BenchError("the queue ran out before the keys were timed: add files")
            }
            let peak = ProcStatus.highWater(pid)
            let enginePeak = background ? workspace.enginePID(run: name).map(ProcStatus.highWater) : nil
            if let enginePeak { log("\(name): the background engine's peak RSS \(Report.mebibytes(enginePeak))") }
            log("\(name): keys answered in \(latencies.map { Report.milliseconds($0) }.joined(separator: ", ")); "
                + "filter keys in \(filterLatencies.map { Report.milliseconds($0) }.joined(separator: ", ")); "
                + "\(done.done.formatted()) of \(done.total.formatted()) done meanwhile; peak RSS \(Report.mebibytes(peak))")
            return Result(files: count, firstDone: firstDone, allQueued: allQueued, keyLatencies: latencies,
                          filterLatencies: filterLatencies, peakRSS: peak, enginePeakRSS: enginePeak)
        }
    }

    /// What is typed into the filter, and the name the browser then lists first
    /// (`QueueBench.writeTinyFiles` names the files `q-000000.txt`…).
    static let filterSteps = [("1", "q-000001.txt"), ("2", "q-000012.txt"), ("3", "q-000123.txt")]

    /// The browser's first row: the screen's second line, the pane's border above it.
    static func firstBrowserRow(_ screen: String) -> String? {
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count > 1 else { return nil }
        return lines[1].components(separatedBy: "││").first
    }

    /// A row's key timings: how many, the median and the worst.
    struct Spread {
        let count: Int
        let median: Duration
        let worst: Duration

        init(_ latencies: [Duration]) {
            let sorted = latencies.sorted()
            count = sorted.count
            median = sorted.isEmpty ? .zero : sorted[sorted.count / 2]
            worst = sorted.last ?? .zero
        }

        /// "median, worst", as the table shows them.
        var text: String { Report.milliseconds(median) + ", " + Report.milliseconds(worst) }
    }

    /// A line only the help overlay shows.
    static let helpText = "repaint the screen"

    /// "N/M done" on the status line.
    static func done(_ screen: String) -> (done: Int, total: Int)? {
        guard let match = screen.firstMatch(of: /(\d+)\/(\d+) done/), let done = Int(match.1), let total = Int(match.2)
        else { return nil }
        return (done, total)
    }

    /// "N marked" on the screen, if shown.
    static func marked(_ screen: String) -> Int? {
        screen.firstMatch(of: /(\d+) marked/).flatMap { Int($0.1) }
    }

    /// The rows, in the bench's table style.
    static func render(_ result: Result, background: Bool = false) -> String {
        let keys = Spread(result.keyLatencies), filters = Spread(result.filterLatencies)
        var rows: [[String]] = [
            [(background ? "background engine, " : "") + "TUI holding \(result.files.formatted()) files", "hoist", "target", "result"],
            ["u to the first file done", Report.seconds(result.firstDone), "≤ " + Report.seconds(QueueBench.maximumFirstSession),
             Report.verdict(result.firstDone <= QueueBench.maximumFirstSession)],
            ["u to every file queued", Report.seconds(result.allQueued), "", ""],
            ["a key answered (median, worst of \(keys.count))", keys.text,
             "≤ " + Report.milliseconds(maximumKeyLatency), Report.verdict(keys.worst <= maximumKeyLatency)],
            ["a filter key on \(result.files.formatted()) names (median, worst of \(filters.count))", filters.text,
             "≤ " + Report.milliseconds(maximumKeyLatency), Report.verdict(filters.worst <= maximumKeyLatency)],
            ["TUI peak RSS", Report.mebibytes(result.peakRSS), "≤ " + Report.mebibytes(QueueBench.maximumPeakRSS),
             Report.verdict(result.peakRSS <= QueueBench.maximumPeakRSS)],
        ]
        if let engine = result.enginePeakRSS { rows.append(["the engine's peak RSS (another process)", Report.mebibytes(engine), "", ""]) }
        var lines = Report.table(rows)
        lines += [
            "",
            background
                ? "hoist = the TUI attached to the background engine (HOIST_ENGINE=background, as by default; the bench stops it\n"
                    + "        afterwards) in tmux 100×30 on one directory of \(result.files.formatted()) files of a few bytes: `a` marks them all,\n"
                    + "        `u` queues them. Its peak RSS is the view's own; the engine's is shown beside it, with no target."
                : "hoist = the TUI (its engine inside the TUI's process) in tmux 100×30 on one directory of \(result.files.formatted()) files\n"
                    + "        of a few bytes: `a` marks them all, `u` queues them.",
            "every file queued = `u` to the status line counting all of them: each handed to the engine and journaled,",
            "        most waiting for the engine's window of 4,096 jobs.",
            "first file done = `u` to the status line's first `1/N done`, the screen read every 5 ms (an upper bound",
            "        on the first session, which came before it).",
            "a key = `?` to the help overlay shown, and `?` to it gone, while the queue is held; each includes one",
            "        tmux send-keys and screen reads every 2 ms, so it is an upper bound.",
            "a filter key = each of `1`, `2`, `3` typed after `/` to the browser's first row showing the first name",
            "        that matches (`q-000001.txt`, `q-000012.txt`, `q-000123.txt`): every name of the directory checked.",
            "peak RSS = the TUI's own VmHWM after the keys, the whole queue held.",
        ]
        return lines.joined(separator: "\n")
    }
}

/// Figures of a running process from /proc.
enum ProcStatus {
    /// Its resident high-water mark (`VmHWM` of /proc/PID/status), bytes; 0 if unreadable.
    static func highWater(_ pid: pid_t) -> Int64 {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Int64(line.split(whereSeparator: \.isWhitespace).dropFirst().first ?? "")
        else { return 0 }
        return kilobytes * 1024
    }
}
