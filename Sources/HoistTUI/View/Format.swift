import Foundation

/// Numbers as people read them: binary units, speeds, durations.
public enum Format {
    /// `1.5 MiB`, `512 B`; one decimal below 100 units, none above.
    public static func bytes(_ value: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var amount = Double(max(0, value))
        var unit = 0
        while amount >= 1024, unit < units.count - 1 {
            amount /= 1024
            unit += 1
        }
        if unit == 0 { return "\(Int(amount)) B" }
        // Decided on the figure as printed: 99.96 would print as "100.0", one cell too
        // many for its column, and 1023.6 KiB as "1024 KiB" instead of 1.0 MiB.
        if amount < 99.95 { return String(format: "%.1f %@", amount, units[unit]) }
        if amount >= 1023.5, unit < units.count - 1 { return "1.0 \(units[unit + 1])" }
        return String(format: "%.0f %@", amount, units[unit])
    }

    /// `12.3 MiB/s`, `0 B/s` when stalled, `--` when unknown (less than a second of data).
    public static func rate(_ bytesPerSecond: Double?) -> String {
        guard let bytesPerSecond, bytesPerSecond.isFinite else { return "--" }
        return bytes(Int64(max(0, bytesPerSecond))) + "/s"
    }

    /// `1 job`, `4 jobs`: a count with its noun, plural when it is not 1.
    public static func count(_ n: Int, _ noun: String, plural: String? = nil) -> String {
        "\(n) " + (n == 1 ? noun : plural ?? noun + "s")
    }

    /// A retry's reason in a few words for a queue row: the engine's prefixes dropped.
    public static func retryReason(_ reason: String) -> String {
        var text = reason
        for prefix in ["network error: ", "server answered "] where text.hasPrefix(prefix) { text.removeFirst(prefix.count) }
        return text
    }

    /// `0:07`, `12:05`, `1:02:03`; `--` when unknown.
    public static func duration(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite, seconds >= 0 else { return "--" }
        let total = Int(seconds.rounded(.up))
        let (h, m, s) = (total / 3600, (total % 3600) / 60, total % 60)
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
    }

    /// `42%`.
    public static func percent(_ fraction: Double) -> String {
        "\(Int((fraction * 100).rounded(.down)))%"
    }

    /// `path` with the home directory shown as `~`.
    public static func path(_ path: String, home: String? = ProcessInfo.processInfo.environment["HOME"]) -> String {
        guard let home, !home.isEmpty, home != "/", path.hasPrefix(home) else { return path }
        return "~" + path.dropFirst(home.count)
    }
}
