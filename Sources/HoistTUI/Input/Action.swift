
/// Something the user asked for, named; keys map to actions, panes never see keys.
public enum Action: Sendable, Equatable, Hashable {
    case moveUp, moveDown, pageUp, pageDown, moveFirst, moveLast
    case openDirectory, parentDirectory
    case toggleMark, markAll, queueFiles
    case switchFocus
    case cancelJob, cancelAllJobs, retryJob, retryAllFailed, togglePause, moreJobs, fewerJobs
    case showDetail, copyURL, toggleEarlier
    case toggleHidden, startFilter
    case filterType(Character), filterErase, filterAccept, filterClear
    case showHelp, showLog, closeOverlay
    case repaint
    case quit, interrupt
    /// Leave the view; uploads go on in the background engine.
    case detach
    /// In a question: yes (quit cancelling the sessions; cancel them all).
    case confirm
    /// In the quit question: quit, keeping unfinished uploads for the next run.
    case keepForLater
    /// In a question: no, stay.
    case decline
}

/// Where a binding applies, for the lookup and the help overlay's sections: the panes, and
/// the modal states that take the keys before them.
public enum KeyScope: String, Sendable, CaseIterable {
    case global = "Everywhere"
    case browser = "File browser"
    case queue = "Queue"
    case filter = "Typing a filter"
    case overlay = "Help, log, details"
    case quitQuestion = "Quit question"
    case cancelQuestion = "Cancel-all question"
    case leaving = "While leaving"

    /// Scopes that take every key while they are up (the rest are the panes').
    public var isModal: Bool {
        switch self {
        case .global, .browser, .queue: return false
        default: return true
        }
    }
}
