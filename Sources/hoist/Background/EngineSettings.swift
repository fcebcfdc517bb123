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
