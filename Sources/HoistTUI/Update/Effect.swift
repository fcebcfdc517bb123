import HoistEngine

/// A command for the engine; the loop sends them in order.
public enum EngineCommand: Sendable, Equatable {
    /// Queue these paths; `bytes`: their size as checked (the background engine tells
    /// every view what still waits to be queued, bytes included); `walk`: their journal
    /// record when it was made already (the last run's walks, resumed).
    case add([String], bytes: Int64 = 0, walk: UploadEngine.WalkRecord? = nil)
    case cancel(JobID)
    case cancelAll
    case retry(JobID)
    case pause
    case resume
    case setConcurrency(Int)
}

/// What the reducer asks the loop to do; the reducer itself does no I/O. Effects that
/// produce an answer report it back as an ``Input``.
public enum Effect: Sendable, Equatable {
    case engine(EngineCommand)
    /// Read a directory: ``Input/listed(directory:entries:sorted:)`` or ``Input/listFailed(directory:reason:)``.
    case listDirectory(String)
    /// Check paths before queueing them: ``Input/preflighted(_:final:inQueue:remaining:)``. `queued`:
    /// the paths of the jobs queued or running, whose files a second path must not queue again.
    case preflight(PathList, queued: [String] = [])
    /// Read earlier runs' uploads from the journal: ``Input/history(_:)``.
    case loadHistory
    /// Ask the server for a fresh download URL (the final URL for Luw): ``Input/fetchedURL(job:_:)``.
    case fetchURL(job: JobID, remoteID: String)
    /// Set the terminal window's title (with the next frame).
    case setTitle(String)
    /// Put text on the clipboard (OSC 52).
    case copyToClipboard(String)
    /// Rewrite every cell with the next frame.
    case repaint
    /// Leave the loop.
    case exit(TUIExit)
}
