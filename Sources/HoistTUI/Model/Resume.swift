import HoistEngine

/// What the last run left unfinished, as a view starts with it (paused, so that `p`
/// resumes it).
public struct Resume: Sendable, Equatable {
    /// Jobs the engine queued before the view started. Each has a journal row that only a
    /// job can cancel, so they are queued first and a cancel of everything finds them all.
    /// The view counts them until their `queued` events arrive.
    public var jobs: Int
    /// Paths the last run's walks had not reached (no row yet): handed over as one add,
    /// taken a window at a time.
    public var paths: [String]
    /// The journal's record of `paths`, made before the jobs were queued: queueing ends the
    /// last run's records, and a kill meanwhile must not lose the paths.
    public var walk: UploadEngine.WalkRecord?

    public init(jobs: Int = 0, paths: [String] = [], walk: UploadEngine.WalkRecord? = nil) {
        (self.jobs, self.paths, self.walk) = (jobs, paths, walk)
    }

    /// How many uploads come back.
    public var count: Int { jobs + paths.count }
}
