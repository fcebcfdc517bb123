import Foundation

/// Everything an engine needs to run: where to upload, with which key, how fast and how hard.
public struct EngineConfiguration: Sendable {
    public var profile: Profile
    public var key: APIKey
    /// Jobs running at once; changeable later with `setConcurrency`.
    public var concurrency: Int = 4
    /// When set, the engine chooses its concurrency within this range, starting from
    /// `concurrency`: it raises it while the queue goes faster for it (`ConcurrencyTuner`).
    /// A `setConcurrency` call, the user's choice, ends the adapting.
    public var adaptiveConcurrency: ClosedRange<Int>?
    /// How often the adaptive concurrency looks at the engine's counters (on `clock`).
    public var adaptInterval: Duration = .milliseconds(500)
    /// How often a running engine tries again the cancels and aborts it could not make (the
    /// server away when a job was cancelled or failed), while any remain.
    public var abortRetryInterval: Duration = .seconds(30)
    /// Parts of one multipart upload (s3 dialect) sent at once (`--part-jobs`).
    public var partJobs: Int = 4
    /// Total bytes per second across all jobs; nil = unlimited.
    public var rateLimit: Int64?
    /// The SQLite journal; nil keeps it in memory (no resume across runs).
    public var journalPath: String?
    /// The endpoint as the journal knows it; defaults to `profile.endpoint`. The embedded
    /// server listens on a new port each run, so it passes a stable name here instead.
    public var journalEndpoint: String?
    public var retryPolicy: RetryPolicy = .standard
    /// Drives progress throttling, backoff sleeps and the rate limiter.
    public var clock: any EngineClock = SystemEngineClock()
    /// Wall-clock time, compared with the server's `expiresAt`.
    public var wallClock: @Sendable () -> Date = { Date() }
    /// At most one progress event per job per interval.
    public var progressInterval: Duration = .milliseconds(100)
    /// Read size for the PUT body: 256 KiB keeps memory flat at full speed (NOTES.md).
    public var chunkSize: Int = 256 * 1024
    public var rules: UploadRules = .standard
    /// Start with `pause()` in effect (the TUI restores unfinished jobs paused).
    public var startPaused = false
    /// What happens to the queued jobs after a failure that every upload would repeat
    /// (`EngineError.haltsRun`: refused, unresolved, TLS, 401, 403 `no_persona`). Either way
    /// no new job starts after it. The default, `.fail`, suits scripts: `hoist upload`
    /// reports every file failed at once instead of trying each against a dead endpoint.
    public var onHalt: HaltAction = .fail
    /// How often a running upload checks its file (size, mtime, existence) on `clock`; a
    /// file that changed or vanished stops its PUT at the next check.
    public var fileCheckInterval: Duration = .milliseconds(500)
    /// A PUT that moves no byte for this long, outside `--limit-rate`'s waits, is given up
    /// as stalled (a hung server, a link gone without a reset) and retried. Real time.
    public var stallTimeout: Duration = .seconds(60)
    /// How long a cancelled job still waits for the answer to a call it made (a create or
    /// complete, whose answer says what there is to cancel; a cancel or abort; an orphan
    /// sweep's listing). Past this the call is given up, so that cancelling never waits out
    /// a hung server's 60 s timeout: a create's or complete's journal row stays as a kill
    /// leaves it, for the next run over the file, and a cancel or abort is kept in the
    /// journal and made when the next engine starts. Real time.
    public var cancelGrace: Duration = .seconds(5)

    /// What the engine does with queued jobs after a halting failure.
    public enum HaltAction: Sendable, Equatable {
        /// They stay queued and the engine pauses (`isPaused`, `haltedBy`); `resume()` or
        /// `retry` goes on. For interactive front ends, where the user can fix the cause.
        case pause
        /// Each ends with a `failed` event carrying the same error; the engine does not pause.
        case fail
    }

    /// What the journal keys this destination's rows by, and what a background engine
    /// compares a client's wish with: ``destination(of:key:)``, or the embedded server's.
    public var journalKey: String { journalEndpoint ?? Self.destination(of: profile, key: key) }

    /// A profile's destination as the journal and the background engine know it: not only
    /// the endpoint, but everything that decides which object a file becomes and who owns
    /// it. A file uploaded as one Lightfield user, purpose or Luw persona is not uploaded
    /// as another, so a journal row of one must never answer for the other: the dialect,
    /// the purpose (Lightfield), the persona and `--temporary` (Luw) and the key's
    /// fingerprint (both) are part of it. For s3 the bucket and prefix are
    /// (`s3:https://host/bucket/prefix`); credentials are not, as any key that can write
    /// there writes the same object.
    public static func destination(of profile: Profile, key: APIKey) -> String {
        switch profile.dialect {
        case .s3:
            return bucketDestination(of: profile)
        case .lightfield:
            return "\(profile.endpoint) (lightfield, purpose \(profile.effectivePurpose), key \(key.fingerprint))"
        case .luw:
            let persona = profile.pid.map { personaSpace(endpoint: profile.endpoint, pid: $0) } ?? "\(profile.endpoint) (luw, the key's persona, "
            return persona + "\(profile.temporary ? "temporary, " : "")key \(key.fingerprint))"
        }
    }

    /// The start of every Luw destination of persona `pid`, whatever the key or `--temporary`.
    private static func personaSpace(endpoint: String, pid: Int) -> String { "\(endpoint) (luw, persona \(pid), " }

    /// The start of every s3 destination in `bucket`, whatever the prefix.
    private static func bucketSpace(endpoint: String, bucket: String) -> String { "s3:\(endpoint)/\(bucket)/" }

    /// What an engine before destinations named more than the endpoint keyed these rows
    /// by: the endpoint, or `embedded:` and the data directory. Nil where nothing changed
    /// (s3) or the key was chosen by the caller.
    var legacyJournalKey: String? {
        if let journalEndpoint {
            guard journalEndpoint.hasPrefix("embedded:"), let cut = journalEndpoint.range(of: " (purpose ", options: .backwards) else { return nil }
            return String(journalEndpoint[..<cut.lowerBound])
        }
        return profile.dialect == .s3 ? nil : profile.endpoint
    }

    /// Where this destination's objects are named beyond it, as the start of the journal
    /// keys (``destination(of:key:)``) that share them: an s3 bucket, whose keys a row names
    /// whole (`requestedName`) whatever the prefix it was sent under (`s3:https://host/bucket/`);
    /// a Luw persona, whose files any key of it replaces, temporary or not (their names
    /// differ by `x12tmp-`). Nil elsewhere, and for a Luw key's default persona, which the
    /// engine does not know before its first create: those rows meet others by the final
    /// URL their sessions hold (``Journal/admit(endpoint:files:stamps:names:refused:namesAreObjects:objectName:objectSpace:sessionNamesObject:)``).
    var objectSpace: String? {
        guard journalEndpoint == nil else { return nil }
        switch profile.dialect {
        case .s3:
            return profile.s3.map { Self.bucketSpace(endpoint: profile.endpoint, bucket: $0.bucket) }
        case .luw:
            return profile.pid.map { Self.personaSpace(endpoint: profile.endpoint, pid: $0) }
        case .lightfield:
            return nil
        }
    }

    /// An s3 profile's destination, which no key is part of (`s3:https://host/bucket/prefix`).
    public static func bucketDestination(of profile: Profile) -> String {
        guard let s3 = profile.s3 else { return profile.endpoint }
        return bucketSpace(endpoint: profile.endpoint, bucket: s3.bucket) + s3.prefix
    }

    /// The embedded server's destination: its data directory (it listens on a new port
    /// each run) and the purpose.
    public static func embeddedDestination(dataDirectory: String, purpose: String?) -> String {
        "embedded:\(dataDirectory) (purpose \(purpose ?? "general"))"
    }

    public init(profile: Profile, key: APIKey) {
        self.profile = profile
        self.key = key
    }

    /// The default journal location: `$XDG_STATE_HOME/hoist/journal.sqlite`.
    public static func defaultJournalPath(environment: [String: String]) -> String {
        XDGPaths(environment: environment).stateDirectory + "/journal.sqlite"
    }
}
