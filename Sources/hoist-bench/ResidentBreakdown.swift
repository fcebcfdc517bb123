import Foundation

/// Where a process's resident memory is, by mapping: read from `/proc/PID/smaps` when a
/// sample finds it above a row's target, so that a peak RSS that MISSes says what it was
/// (the heap, anonymous mappings such as thread stacks and NIO's allocations, or the
/// pages of a shared library or of hoist's own binary) instead of only how big.
struct ResidentBreakdown: Sendable {
    /// The resident total when it was read, bytes.
    var total: Int64
    /// Resident bytes by mapping name (a file's last path component, `[heap]`, `[stack]`,
    /// `[anon]` for a mapping with no name), largest first.
    var byMapping: [(name: String, bytes: Int64)]

    /// Reads `pid`'s mappings; nil when they cannot be read (the process is gone).
    static func read(_ pid: pid_t) -> ResidentBreakdown? {
        guard let smaps = readWhole("/proc/\(pid)/smaps") else { return nil }
        var sums: [String: Int64] = [:]
        var current = "[anon]"
        for line in smaps.split(separator: "\n", omittingEmptySubsequences: true) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = fields.first else { continue }
            if first.hasSuffix(":") {
                // A field of the current mapping, `Rss:    1234 kB`.
                if first == "Rss:", fields.count >= 2, let kilobytes = Int64(fields[1]) {
                    sums[current, default: 0] += kilobytes * 1024
                }
            } else if first.contains("-") {
                // A mapping's header: `start-end perms offset dev inode [pathname]`.
                let path = fields.count >= 6 ? fields[5...].joined(separator: " ") : ""
                current = path.isEmpty ? "[anon]" : (path.hasPrefix("[") ? path : String(path.split(separator: "/").last ?? ""))
            }
        }
        let ordered = sums.map { (name: $0.key, bytes: $0.value) }.sorted { $0.bytes > $1.bytes }
        return ResidentBreakdown(total: ordered.reduce(0) { $0 + $1.bytes }, byMapping: ordered)
    }

    /// A /proc file whole. Foundation's `String(contentsOfFile:)` returned only its first
    /// mapping here (a proc file says its size is 0); `FileHandle` reads on to the end.
    private static func readWhole(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return (try? handle.readToEnd()).map { String(decoding: $0 ?? Data(), as: UTF8.self) }
    }

    /// One line: the total and the `count` largest mappings, `[heap] 40.1 MiB, …`.
    func summary(count: Int = 6) -> String {
        "resident \(Report.mebibytes(total)): "
            + byMapping.prefix(count).map { "\($0.name) \(Report.mebibytes($0.bytes))" }.joined(separator: ", ")
    }
}
