import HoistAgent
import HoistEngine
import HoistTerminal

/// Everything that can change the state, as the reducer's one vocabulary: the user's
/// actions, the engine's events, time passing, the terminal's size and the answers to the
/// effects the loop performed.
public enum Input: Sendable, Equatable {
    /// The app starts with the last run's unfinished uploads, paused.
    case start(Resume)
    case action(Action)
    /// Events drained from the engine in one batch.
    case events([EngineEvent])
    /// Time passed (countdowns, stalls, the quit deadline).
    case tick
    case resized(Size)
    /// A directory was read (``Effect/listDirectory(_:)``); `sorted` when the entries come
    /// in the browser's order already (``DirectoryReader`` sorts them in place; sorted
    /// here, a copy held by this input would double them).
    case listed(directory: String, entries: [DirectoryEntry], sorted: Bool = false)
    /// A directory could not be read.
    case listFailed(directory: String, reason: String)
    /// The paths `u` asked for, checked (``Effect/preflight(_:queued:)``): all of them, or a
    /// slice, `final` on the last; the status line speaks for every slice of one `u` so far.
    /// The first slice brings `inQueue`: the files (``PathCheck/fileKey``) the effect's
    /// `queued` paths lead to, and `remaining`: how many of the `u`'s paths are still to
    /// check after this slice (its set of files is made once with room for all of them).
    case preflighted([PathCheck], final: Bool = true, inQueue: FileKeySet = [], remaining: Int = 0)
    /// Earlier runs' completed uploads (``Effect/loadHistory``), newest first.
    case history([JournalEntry])
    /// A download URL to copy (``Effect/fetchURL(job:remoteID:)``).
    case fetchedURL(job: JobID, Result<String, EngineError>)
    /// Connected to the background engine: who it is, and its queue as the events that
    /// describe every job now (applied without counting as transferred bytes): the last
    /// part of them, after any ``snapshotPart(engine:events:)``.
    case attached(engine: AttachedEngine, snapshot: [EngineEvent])
    /// A part of that snapshot, ahead of the `attached` that ends it: applied as it comes,
    /// since after 100,000 uploads a snapshot is 300,000 events.
    case snapshotPart(engine: AttachedEngine, events: [EngineEvent])
    /// The connection to the background engine is gone (the link reconnects by itself).
    case engineLost(String)
    /// The background engine's pause and concurrency now, as any viewer set them.
    case engineSettings(paused: Bool, concurrency: Int)
    /// The files handed to the background engine (by any view) that it has not queued
    /// yet, and their bytes: it queues a large `u` a window at a time, as the embedded one.
    case engineWaiting(EngineWaiting)
    /// The engine has queued, or dropped, every file of the first `adds` adds handed to it
    /// (counted from the start): when that is all of them, none waits any more
    /// (``QueueState/waiting``). Said after the events of the jobs they queued.
    case addsSettled(adds: Int)
    /// Something the user must hear of that no engine event says (shown as an error).
    case problem(String)
}

/// The background engine a TUI is attached to.
public struct AttachedEngine: Sendable, Equatable {
    /// Its pid and start time: a different instance numbers its jobs afresh.
    public var instance: String
    public var pid: Int32
    public var version: String
    /// The files it holds for `add`s that have no job yet (nil: an engine that does not say).
    public var waiting: EngineWaiting?
    /// The completed jobs it no longer lists in its snapshot, counted by id instead.
    public var unlistedDone: UnlistedJobs

    public init(instance: String, pid: Int32, version: String, waiting: EngineWaiting? = nil,
                unlistedDone: UnlistedJobs = UnlistedJobs()) {
        self.instance = instance
        self.pid = pid
        self.version = version
        self.waiting = waiting
        self.unlistedDone = unlistedDone
    }
}

/// Files handed to the background engine (by any view) that have no job yet, and their bytes.
public struct EngineWaiting: Sendable, Equatable {
    public var files: Int
    public var bytes: Int64

    public init(files: Int, bytes: Int64) {
        self.files = files
        self.bytes = bytes
    }
}

/// One path checked before it is queued: what it leads to and why it cannot be uploaded.
public struct PathCheck: Sendable, Equatable {
    public var path: String
    /// The file it leads to (device and inode; a directory's resolved path): every path to
    /// one file, through links or hard links, has the same.
    public var fileKey: CheckedFile
    public var isDirectory: Bool
    /// `nil` when it can be queued.
    public var problem: EngineError?
    /// The file's size when checked (0 for a directory).
    public var size: Int64 = 0

    public init(path: String, fileKey: CheckedFile, isDirectory: Bool = false, problem: EngineError? = nil, size: Int64 = 0) {
        self.path = path
        self.fileKey = fileKey
        self.isDirectory = isDirectory
        self.problem = problem
        self.size = size
    }
}
