
/// Something the user asked for, named; keys map to actions, panes never see keys.
public enum Action: Sendable, Equatable, Hashable {
    case moveUp, moveDown, pageUp, pageDown, moveFirst, moveLast
    case openDirectory, parentDirectory
    case toggleMark, markAll, queueFiles
    case switchFocus
    case cancelJob, cancelAllJobs, retryJob, togglePause, moreJobs, fewerJobs
    case toggleHidden, startFilter
    case filterType(Character), filterErase, filterAccept, filterClear
    case showHelp, showLog, closeOverlay
    case quit, confirmQuit, declineQuit, interrupt
    case resized
}

/// The part of the screen an action is bound in, for the help overlay's sections.
public enum KeyScope: String, Sendable, CaseIterable {
    case global = "Everywhere"
    case browser = "File browser"
    case queue = "Queue"
}
