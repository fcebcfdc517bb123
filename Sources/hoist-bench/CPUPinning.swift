import Crypto
import Foundation

/// Where the bench's own process (the in-process server) may run, and what CPU it used.
enum CPUPinning {
    /// Pins every thread of this process to `cpus` with `taskset -a -p` (util-linux; glibc's
    /// `sched_setaffinity` is not visible to Swift without `_GNU_SOURCE`). Threads made
    /// later inherit the mask of the thread that makes them, all of which are pinned.
    static func pinProcess(to cpus: [Int]) async -> Bool {
        let out = NSTemporaryDirectory() + "/hoist-bench-taskset-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let list = cpus.map(String.init).joined(separator: ",")
        let outcome = try? await ChildProcess(
            executable: "taskset", arguments: ["-a", "-c", "-p", list, String(getpid())],
            environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"],
            stdoutPath: out, stderrPath: out, timeout: .seconds(30)
        ).run()
        return outcome?.succeeded == true
    }

    /// User + system CPU time this process has used so far (the server, in the bench).
    static func processCPU() -> Duration {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func duration(_ time: timeval) -> Duration { .seconds(Int64(time.tv_sec)) + .microseconds(Int64(time.tv_usec)) }
        return duration(usage.ru_utime) + duration(usage.ru_stime)
    }

    /// CPUs this machine has online.
    static var onlineCPUs: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}

/// The MD5 floor: CPU time to hash one GiB with the MD5 hoist uses, no I/O, measured on
/// this thread (the same implementation as hoist's, swift-crypto's `Insecure.MD5`).
enum MD5Floor {
    static func perGiB(sample: Int = 64 << 20, rounds: Int = 16) -> Duration {
        // MD5 takes as long whatever the bytes are; they vary only so that nothing could skip
        // them. A word at a time from xorshift: the system generator is a getrandom call per
        // word, 8 million of them for the default sample.
        var state = UInt64.random(in: 1...UInt64.max)
        let words = [UInt64](unsafeUninitializedCapacity: max(sample / 8, 1)) { buffer, initialized in
            for index in buffer.indices {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                buffer[index] = state
            }
            initialized = buffer.count
        }
        let start = threadCPU()
        var digest: [UInt8] = []
        for _ in 0..<rounds { digest = words.withUnsafeBytes { Array(Insecure.MD5.hash(data: $0)) } }
        let used = threadCPU() - start
        precondition(!digest.isEmpty)
        let hashed = Double(words.count * 8) * Double(rounds)
        return used * (Double(1 << 30) / hashed)
    }

    private static func threadCPU() -> Duration {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return .seconds(Int64(time.tv_sec)) + .nanoseconds(Int64(time.tv_nsec))
    }
}
