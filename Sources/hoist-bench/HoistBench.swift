import ArgumentParser
import Foundation

/// `hoist-bench`: starts the real server in-process and measures `hoist upload` (run as a
/// child process, like a script would) against curl on the same server, printing one table.
@main
struct HoistBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hoist-bench",
        abstract: "Measure hoist against curl on an in-process server and print one table.",
        // Spelled out: the hidden subcommands would otherwise put `<subcommand>` in it.
        usage: "hoist-bench [<options>]",
        discussion: "Run with `swift run -c release hoist-bench`. Exit status 0 when the benchmark ran "
            + "(PASS or MISS), 1 when it could not run.",
        // --wan's relays and sink: this binary again, inside the server's namespace.
        subcommands: [DelayRelay.self, DiscardSink.self, FloorServe.self, FloorClient.self])

    @Flag(help: "A smoke test in seconds: a 64 MiB file and 200 small files.")
    var quick = false

    @Option(help: "`hoist upload --jobs` for the small files.")
    var jobs: Int?

    @Option(help: "Rounds of the large file per side (the best counts).")
    var rounds: Int?

    @Option(help: "The hoist binary to measure (default: the one next to hoist-bench).")
    var hoist: String?

    @Flag(help: "Measure the TUI's terminal output instead (tmux 120×40, 500 small files and one large one).")
    var terminal = false

    @Flag(help: "After the shared-core table, the same table with the server pinned to CPU 0 and each client to CPU 1 (taskset), as if on two machines.")
    var pinned = false

    @Flag(help: "Measure uploads into an S3 bucket instead: hoist (one PUT, multipart) beside `aws s3 cp`, against moto.")
    var s3 = false

    @Option(name: .customLong("s3-endpoint"), help: "The S3 endpoint for --s3 (default: start moto_server on loopback).")
    var s3Endpoint: String?

    @Flag(name: .customLong("scale-out"),
          help: "Measure small-file lifecycles per second: one hoist serve on SQLite + disk, then two on PostgreSQL + S3 (moto).")
    var scaleOut = false

    @Option(help: "A PostgreSQL admin URL for --scale-out (default: HOIST_BENCH_POSTGRES_URL); the bench makes a database there.")
    var postgres: String?

    @Flag(help: "Measure across a shaped WAN (root): two network namespaces, 100 Mbit/s at 40 ms RTT and 1 Gbit/s at 5 ms; one round unless --rounds.")
    var wan = false

    @Flag(help: "Measure a queue of 100,000 files instead (10,000 with --quick): the first session's delay and the client's peak RSS, for hoist upload and for the TUI (with its answer to a key).")
    var queue = false

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if let rounds, rounds < 1 { throw ValidationError("--rounds must be at least 1") }
        if wan && (terminal || pinned || s3 || scaleOut) {
            throw ValidationError("--wan runs alone: not with --terminal, --pinned, --s3 or --scale-out")
        }
        if queue && (wan || terminal || pinned || s3 || scaleOut) {
            throw ValidationError("--queue runs alone: not with --wan, --terminal, --pinned, --s3 or --scale-out")
        }
    }

    func run() async throws {
        var plan = quick ? BenchPlan.quick : BenchPlan.full
        if let jobs { plan.hoistJobs = jobs }
        if let rounds { plan.largeFileRounds = rounds }
        #if DEBUG
        Self.log("warning: this is a debug build; measure with `swift run -c release hoist-bench`")
        #endif
        if wan {
            // Before anything is built or written: without root there is nothing to measure.
            do { try WANLink.checkPrerequisites() } catch {
                Self.log("\(error)")
                throw ExitCode.failure
            }
        }
        let executable: String
        do {
            if let hoist {
                executable = hoist
            } else {
                executable = try await HoistChild.prepare(environment: ProcessInfo.processInfo.environment, log: Self.log)
            }
        } catch {
            Self.log("\(error)")
            throw ExitCode.failure
        }

        if wan {
            // A shaped link varies little from round to round, and a 1 GiB round at 100 Mbit/s
            // takes 90 s a side: one round unless asked.
            if rounds == nil { plan.largeFileRounds = 1 }
            do {
                let results = try await WANBench(plan: plan, executable: executable).run(log: Self.log)
                print(WANReport.render(results, plan: plan))
            } catch {
                Self.log("wan benchmark failed: \(error)")
                throw ExitCode.failure
            }
            return
        }

        if scaleOut {
            guard let admin = postgres ?? ProcessInfo.processInfo.environment["HOIST_BENCH_POSTGRES_URL"] else {
                Self.log("--scale-out needs --postgres postgres://USER@HOST:PORT/postgres (or HOIST_BENCH_POSTGRES_URL)")
                throw ExitCode.failure
            }
            let directory = NSTemporaryDirectory() + "/hoist-bench-scale-\(getpid())"
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let bench = ScaleOutBench(executable: executable, postgres: admin, s3Endpoint: s3Endpoint, directory: directory,
                                      lifecycles: quick ? 200 : 2000, width: 16, fileBytes: 1024)
            do {
                print(ScaleOutBench.render(try await bench.run(log: Self.log), fileBytes: bench.fileBytes, width: bench.width))
            } catch {
                Self.log("scale-out benchmark failed: \(error)")
                throw ExitCode.failure
            }
            return
        }

        if s3 {
            let directory = NSTemporaryDirectory() + "/hoist-bench-s3-\(getpid())"
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            do {
                let rows = try await S3Bench(plan: plan, executable: executable, endpoint: s3Endpoint, directory: directory).run(log: Self.log)
                print(S3Bench.render(rows, bytes: plan.largeFileBytes, rounds: plan.largeFileRounds))
            } catch {
                Self.log("s3 benchmark failed: \(error)")
                throw ExitCode.failure
            }
            return
        }

        let workspace: BenchWorkspace
        do { workspace = try await BenchWorkspace.make() } catch {
            Self.log("cannot start the server: \(error)")
            throw ExitCode.failure
        }
        Self.log("server at \(workspace.endpoint), data in \(workspace.root); measuring \(executable)")
        if queue {
            let bench = QueueBench(workspace: workspace, executable: executable, count: quick ? 10_000 : 100_000,
                                   jobs: plan.hoistJobs, timeout: .seconds(1800))
            do {
                let result = try await bench.run(log: Self.log)
                var backgroundBench = bench
                backgroundBench.background = true
                let viaEngine = try await backgroundBench.run(log: Self.log)
                let tuiBench = TUIQueueBench(workspace: workspace, executable: executable, count: bench.count)
                let held = try await tuiBench.run(log: Self.log)
                var attachedBench = tuiBench
                attachedBench.background = true
                let attached = try await attachedBench.run(log: Self.log)
                await workspace.tearDown()
                print(QueueBench.render(result, jobs: bench.jobs))
                print("")
                print(QueueBench.render(viaEngine, jobs: bench.jobs, background: true))
                print("")
                print(TUIQueueBench.render(held))
                print("")
                print(TUIQueueBench.render(attached, background: true))
            } catch {
                await workspace.tearDown()
                Self.log("queue benchmark failed: \(error)")
                throw ExitCode.failure
            }
            return
        }
        if terminal {
            do {
                let figures = try await TerminalBench(workspace: workspace, executable: executable).run(log: Self.log)
                // The same view attached to the background engine, as `hoist` runs by default:
                // it must write no more than the view with the engine inside it.
                var attachedBench = TerminalBench(workspace: workspace, executable: executable)
                attachedBench.background = true
                let attached = try await attachedBench.run(log: Self.log)
                await workspace.tearDown()
                print(TerminalBench.render(figures))
                print("")
                print(TerminalBench.render(attached, background: true))
            } catch {
                await workspace.tearDown()
                Self.log("terminal benchmark failed: \(error)")
                throw ExitCode.failure
            }
            return
        }
        let cores = CPUPinning.onlineCPUs
        do {
            let shared = try await Self.measure(
                plan: plan, workspace: workspace, executable: executable,
                setting: "client and server share the machine's \(cores) cores", log: Self.log)
            print(shared.render())
            if pinned {
                guard cores >= 2 else { throw BenchError("--pinned needs two CPUs; this machine has \(cores)") }
                // The server (this process) on CPU 0, every client on CPU 1: two machines' worth.
                guard await CPUPinning.pinProcess(to: [0]) else { throw BenchError("cannot pin the bench to CPU 0 (sched_setaffinity)") }
                var pinnedWorkspace = workspace
                pinnedWorkspace.clientCPUs = "1"
                let report = try await Self.measure(
                    plan: plan, workspace: pinnedWorkspace, executable: executable,
                    setting: "pinned: the server on CPU 0, each client on CPU 1 (taskset)", log: Self.log)
                _ = await CPUPinning.pinProcess(to: Array(0..<cores))
                print("")
                print(report.render())
            }
        } catch {
            await workspace.tearDown()
            Self.log("benchmark failed: \(error)")
            throw ExitCode.failure
        }
        await workspace.tearDown()
    }

    /// The upload table once: the large file, the small files, and the MD5 floor measured
    /// in the same run (on the server's CPU when pinned; the CPU model is the same).
    static func measure(plan: BenchPlan, workspace: BenchWorkspace, executable: String, setting: String,
                        log: @escaping (String) -> Void) async throws -> Report {
        let child = HoistChild(executable: executable, workspace: workspace, timeout: plan.childTimeout)
        var largeBench = LargeFileBench(plan: plan, workspace: workspace, hoist: child)
        // On loopback the disk is what a first round would measure; across the WAN the link
        // is far slower than the disk, and a warm-up would cost a 90 s transfer.
        largeBench.warmUp = true
        let large = try await largeBench.run(log: log)
        let small = try await SmallFilesBench(plan: plan, workspace: workspace, hoist: child).run(log: log)
        let httpFloor = try await HTTPFloor.measure(plan: plan, workspace: workspace, log: log)
        let floor = MD5Floor.perGiB()
        log("MD5 floor: \(Report.seconds(floor)) of CPU per GiB")
        return Report(plan: plan, large: large, small: small, floor: httpFloor, md5Floor: floor, setting: setting)
    }

    /// Progress goes to stderr, so stdout carries only the table.
    static func log(_ line: String) {
        FileHandle.standardError.write(Data(("hoist-bench: " + line + "\n").utf8))
    }
}
