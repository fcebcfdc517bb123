import Foundation
import Synchronization

/// One child process, spawned and reaped by hand so that its own resource usage (peak RSS)
/// comes back with its exit status.
///
/// Foundation's `Process` reaps its children itself, which loses `wait4`'s per-child
/// `rusage`; `getrusage(RUSAGE_CHILDREN)` would mix every child the bench ever ran.
struct ChildProcess: Sendable {
    /// How a child ended and what it cost.
    struct Outcome: Sendable {
        /// The exit code, or `nil` when a signal ended it.
        var exitCode: Int32?
        var signal: Int32?
        var timedOut: Bool
        /// Wall time from spawn to exit.
        var elapsed: Duration
        /// Peak resident set size, in bytes: the child's `VmHWM`, sampled every 20 ms while it
        /// runs (for a child too short-lived to sample, `ru_maxrss`, an upper bound).
        var peakRSS: Int64
        /// User plus system CPU time, the child's and its reaped descendants'.
        var cpu: Duration
        /// Where its memory was at the highest sample above `breakdownAbove`; nil when no
        /// sample went above it (or none was asked for).
        var residentBreakdown: ResidentBreakdown? = nil

        var succeeded: Bool { exitCode == 0 && !timedOut }

        /// What a log line about its peak RSS adds: where the memory was, when it went
        /// above the line (`"; above the target, resident …"`), else nothing.
        var aboveTarget: String { residentBreakdown.map { "; above the target, " + $0.summary() } ?? "" }

        /// A short human account of a failure, for error messages.
        var summary: String {
            if timedOut { return "timed out after \(elapsed)" }
            if let signal { return "killed by signal \(signal)" }
            return "exit status \(exitCode ?? -1)"
        }
    }

    var executable: String
    var arguments: [String]
    var environment: [String: String]
    /// Where stdout and stderr go (files; created or truncated).
    var stdoutPath: String
    var stderrPath: String
    var timeout: Duration
    /// CPUs the child may run on (`taskset -c` syntax, `1`); nil: wherever the bench runs.
    var cpus: String? = nil
    /// The network namespace the child runs in (`ip netns exec`, which execs it: the pid
    /// stays the child's); nil: the bench's own.
    var namespace: String? = nil
    /// A resident size (bytes) above which the sampler also reads where the child's memory
    /// is (`ResidentBreakdown`), at its highest sample; nil: never.
    var breakdownAbove: Int64? = nil

    /// This hoist-bench binary, to run its hidden subcommands (relays, sink, the floor) as children.
    static func benchExecutable() throws -> String {
        guard let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
            throw BenchError("cannot tell where hoist-bench runs from (/proc/self/exe)")
        }
        return path
    }

    /// Spawns the child (searching `PATH` for a bare name), waits for it on a thread of its
    /// own, so the in-process server keeps its cooperative threads, and kills it at the timeout.
    func run() async throws -> Outcome {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        // Pinned children start through taskset, which sets their affinity and execs them;
        // children in a namespace through `ip netns exec`, which enters it and execs them.
        var command = [self.executable] + arguments
        if let cpus { command = ["taskset", "-c", cpus] + command }
        if let namespace { command = ["ip", "netns", "exec", namespace] + command }
        let executable = command[0]
        let argv = CStrings(command)
        let envp = CStrings(environment.map { "\($0.key)=\($0.value)" }.sorted())
        defer { argv.free(); envp.free() }

        // A process group of its own, so a timeout kills what it started too (xargs's bash and
        // curl). No signal blocked and every disposition the default, as from a login shell:
        // the bench's threads block some and ignore others, and a child keeps both, so a TUI
        // under a tmux it started never got the SIGHUP of `kill-server` and ran on.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var all = sigset_t()
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)

        let start = ContinuousClock.now
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, executable, &actions, &attributes, argv.pointers, envp.pointers)
        guard spawned == 0 else { throw BenchError("cannot start \(executable): \(String(cString: strerror(spawned)))") }

        let exited = ExitFlag()
        let child = pid
        let timeout = timeout
        let killer = Task {
            try? await Task.sleep(for: timeout)
            if Task.isCancelled { return false }
            // Only while the child is unreaped does its pid still name it.
            return exited.killUnlessExited(child)
        }
        // Peak RSS is sampled from the child's own address space while it runs. wait4's
        // ru_maxrss is not it: Linux carries the high-water mark of the address space an exec
        // replaces into the new program's maxrss, and posix_spawn execs from a vfork child
        // that shares the bench's, so a bench that had grown to 117 MiB reported 117 MiB for
        // every child.
        // On a thread of its own, like the reaper: a busy cooperative pool must not make it
        // miss the child's whole life.
        let sampler = PeakSampler(pid: child, exited: exited, breakdownAbove: breakdownAbove)
        let (status, usage, end) = await Self.reap(pid, exited: exited)
        killer.cancel()
        let timedOut = await killer.value
        let (sampledPeak, breakdown) = sampler.finish()
        let signalled = status & 0x7f
        return Outcome(
            exitCode: signalled == 0 ? (status >> 8) & 0xff : nil, signal: signalled == 0 ? nil : signalled,
            timedOut: timedOut, elapsed: end - start, peakRSS: sampledPeak > 0 ? sampledPeak : Int64(usage.ru_maxrss) * 1024,
            cpu: Self.duration(usage.ru_utime) + Self.duration(usage.ru_stime), residentBreakdown: breakdown)
    }

    private static func duration(_ time: timeval) -> Duration {
        .seconds(Int64(time.tv_sec)) + .microseconds(Int64(time.tv_usec))
    }

    /// Waits for `pid` to exit on a dedicated thread (a blocking wait would take one of the
    /// two cooperative threads from the server), marks it exited, then reaps it with its usage.
    private static func reap(_ pid: pid_t, exited: ExitFlag) async -> (Int32, rusage, ContinuousClock.Instant) {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                var info = siginfo_t()
                // WNOWAIT: learn of the exit without reaping, so the killer never signals a reused pid.
                while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
                let end = ContinuousClock.now
                exited.markExited()
                var status: Int32 = 0
                var usage = rusage()
                while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
                continuation.resume(returning: (status, usage, end))
            }
            thread.start()
        }
    }
}

/// Samples a running child's `VmHWM` every 20 ms on a thread of its own until it exits;
/// above `breakdownAbove`, each new high (by 1 MiB or more) also reads where the memory is.
private final class PeakSampler: @unchecked Sendable {
    // Written by the sampling thread only; read after `done` is signalled.
    private var peak: Int64 = 0
    private var breakdown: ResidentBreakdown?
    private let done = DispatchSemaphore(value: 0)

    init(pid: pid_t, exited: ExitFlag, breakdownAbove: Int64?) {
        let thread = Thread { [self] in
            var explained: Int64 = 0
            while let sample = exited.unlessExited({ ProcStatus.highWater(pid) }) {
                peak = max(peak, sample)
                if let breakdownAbove, sample > breakdownAbove, sample >= explained + (1 << 20),
                   let read = exited.unlessExited({ ResidentBreakdown.read(pid) }) ?? nil {
                    explained = sample
                    breakdown = read
                }
                usleep(20_000)
            }
            done.signal()
        }
        thread.start()
    }

    /// The highest sample (0: none could be taken) and the breakdown of the highest one
    /// above the line, once the child has exited.
    func finish() -> (Int64, ResidentBreakdown?) {
        done.wait()
        return (peak, breakdown)
    }
}

/// Whether a child has exited (not yet reaped), so a timeout never kills a reused pid.
private final class ExitFlag: Sendable {
    private let exited = Mutex(false)

    func markExited() { exited.withLock { $0 = true } }

    /// Sends SIGKILL to the child's process group while the child is still running; true
    /// when it was sent.
    func killUnlessExited(_ pid: pid_t) -> Bool {
        exited.withLock { done in done ? false : kill(-pid, SIGKILL) == 0 }
    }

    /// `read()` of the child's /proc entries while it runs; nil once it has exited (its
    /// pid may then name another process).
    func unlessExited<T: Sendable>(_ read: () -> T) -> T? {
        exited.withLock { done -> T? in
            done ? nil : read()
        }
    }
}

/// A NULL-terminated array of C strings that outlives the call it is passed to.
private struct CStrings {
    let pointers: [UnsafeMutablePointer<CChar>?]

    init(_ strings: [String]) {
        pointers = strings.map { strdup($0) } + [nil]
    }

    func free() {
        for pointer in pointers { Glibc.free(pointer) }
    }
}

/// Why the benchmark could not run.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
