import HoistEngine
import HoistTerminal

/// Everything that can change the state, as the reducer's one vocabulary: the user's
/// actions, the engine's events, time passing, the terminal's size and the answers to the
/// effects the loop performed.
public enum Input: Sendable, Equatable {
    /// The app starts; `resumePaths` are the last run's unfinished uploads, queued paused.
    case start(resumePaths: [String])
    case action(Action)
    /// Events drained from the engine in one batch.
    case events([EngineEvent])
    /// Time passed (countdowns, stalls, the quit deadline).
    case tick
    case resized(Size)
    /// A directory was read (``Effect/listDirectory(_:)``).
    case listed(directory: String, entries: [DirectoryEntry])
    /// A directory could not be read.
    case listFailed(directory: String, reason: String)
    /// The paths `u` asked for, checked (``Effect/preflight(_:)``).
    case preflighted([PathCheck])
    /// Earlier runs' completed uploads (``Effect/loadHistory``), newest first.
    case history([JournalEntry])
    /// A download URL to copy (``Effect/fetchURL(job:remoteID:)``).
    case fetchedURL(job: JobID, Result<String, EngineError>)
}

/// One path checked before it is queued: what it leads to and why it cannot be uploaded.
public struct PathCheck: Sendable, Equatable {
    public var path: String
    /// The file it leads to (device and inode; a directory's resolved path): every path to
    /// one file, through links or hard links, has the same.
    public var fileKey: String
    public var isDirectory: Bool
    /// `nil` when it can be queued.
    public var problem: EngineError?

    public init(path: String, fileKey: String, isDirectory: Bool = false, problem: EngineError? = nil) {
        self.path = path
        self.fileKey = fileKey
        self.isDirectory = isDirectory
        self.problem = problem
    }
}
