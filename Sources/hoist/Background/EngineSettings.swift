import Foundation
import HoistEngine

/// The settings a running engine applies to every upload it is given, which a client's
/// flags cannot change for its own files: `--no-clobber`, the s3 multipart threshold,
/// `--limit-rate`, `--jobs` and `--part-jobs`. A `hoist upload` that asks for other ones
/// than the engine's is refused (exit 2, saying which), never silently given the engine's:
/// a `--no-clobber` dropped would replace an object.
enum EngineSettings {
    /// The engine's own, every one as it applies it (values in bytes, so that `1M` and
    /// `1048576` are the same).
    static func applied(profile: Profile, transfer: TransferOptions) -> [String: String] {
        var options = [
            "--no-clobber": profile.noClobber ? "on" : "off",
            "--limit-rate": transfer.bytesPerSecond.map(String.init) ?? "none",
            "--jobs": transfer.jobs.map(String.init) ?? "adaptive",
            "--part-jobs": String(transfer.partJobCount),
        ]
        if let s3 = profile.s3 { options["--multipart-threshold"] = String(s3.multipartThreshold) }
        return options
    }

    /// What a client asks: `--no-clobber` when its profile has it (an engine that also
    /// refuses to replace may take any client), the threshold when given, and the transfer
    /// flags given on its command line.
    static func asked(profile: Profile, options: ProfileOptions, transfer: TransferOptions?) -> [String: String] {
        var asked: [String: String] = [:]
        if profile.noClobber { asked["--no-clobber"] = "on" }
        if options.multipartThreshold != nil, let s3 = profile.s3 { asked["--multipart-threshold"] = String(s3.multipartThreshold) }
        if let rate = transfer?.bytesPerSecond { asked["--limit-rate"] = String(rate) }
        if let jobs = transfer?.jobs { asked["--jobs"] = String(jobs) }
        if let parts = transfer?.partJobs { asked["--part-jobs"] = String(parts) }
        return asked
    }
}

/// The settings of the running engine, kept beside the journal (`journal.sqlite.engine.settings`)
/// from its start, rewritten when a view changes one, removed when it ends cleanly. Found by
/// the next engine, it means the last one was killed: that engine's uploads are resumed with
/// its `--limit-rate`, `--jobs` and `--part-jobs` wherever the one starting now was not
/// given them (a view reconnecting after the kill starts it with no flags), as
/// `hoist upload` resumes a killed run's uploads as they were asked.
struct EngineSettingsFile {
    let path: String

    init(journal: String) { path = journal + ".engine.settings" }

    /// The flags a killed engine ran with that `transfer` leaves unset, set from it; and
    /// which ones were taken (empty when no engine was killed, or every flag was given).
    func inherit(into transfer: inout TransferOptions) -> [String] {
        guard let data = FileManager.default.contents(atPath: path),
              let left = try? JSONDecoder().decode([String: String].self, from: data) else { return [] }
        var taken: [String] = []
        if transfer.limitRate == nil, let rate = left["--limit-rate"], rate != "none", RateLimiter.parse(rate) != nil {
            transfer.limitRate = rate
            taken.append("--limit-rate \(rate)")
        }
        if transfer.jobs == nil, let jobs = left["--jobs"].flatMap(Int.init), jobs >= 1 {
            transfer.jobs = jobs
            taken.append("--jobs \(jobs)")
        }
        if transfer.partJobs == nil, let parts = left["--part-jobs"].flatMap(Int.init), parts != transfer.partJobCount, (1...64).contains(parts) {
            transfer.partJobs = parts
            taken.append("--part-jobs \(parts)")
        }
        return taken
    }

    /// Writes `options` whole (a temporary file renamed over the last).
    func write(_ options: [String: String]) {
        guard let data = try? JSONEncoder().encode(options) else { return }
        try? data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
