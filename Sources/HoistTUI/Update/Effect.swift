import HoistEngine

/// A command for the engine; the loop sends them in order.
public enum EngineCommand: Sendable, Equatable {
    case add([String])
    case cancel(JobID)
    case cancelAll
    case retry(JobID)
    case pause
    case resume
    case setConcurrency(Int)
}

/// What the reducer asks the loop to do; the reducer itself does no I/O.
public enum Effect: Sendable, Equatable {
    case engine(EngineCommand)
    /// Read a directory and report it back with ``Reducer/loaded(_:directory:entries:)``.
    case listDirectory(String)
    /// Leave; `cancelling` cancels every pending session first.
    case quit(cancelling: Bool)
}
