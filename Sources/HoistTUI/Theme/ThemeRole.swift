/// What a piece of the screen means, so that its look comes from the theme and panes never
/// name colours.
public enum ThemeRole: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Ordinary text and the screen background.
    case text = "text"
    /// Pane titles.
    case title = "title"
    /// Pane borders and separators.
    case border = "border"
    /// The border of the pane that has the focus.
    case borderFocused = "border.focused"

    /// The browser's path bar.
    case browserPath = "browser.path"
    /// A directory entry.
    case browserDir = "browser.dir"
    /// A regular file entry.
    case browserFile = "browser.file"
    /// A symbolic link entry.
    case browserLink = "browser.link"
    /// A hidden (dot) entry, when shown.
    case browserHidden = "browser.hidden"
    /// The size column.
    case browserSize = "browser.size"
    /// The mark next to a marked file.
    case browserMark = "browser.mark"
    /// The `/` filter being typed.
    case browserFilter = "browser.filter"

    /// A job's file name.
    case queueName = "queue.name"
    /// The finished part of a progress bar.
    case queueBarDone = "queue.bar.done"
    /// The unfinished part of a progress bar.
    case queueBarTodo = "queue.bar.todo"
    /// Percent, speed and ETA.
    case queueDetail = "queue.detail"
    /// State: queued (and paused).
    case queueStateQueued = "queue.state.queued"
    /// State: creating, uploading, completing.
    case queueStateActive = "queue.state.active"
    /// State: retrying n.
    case queueStateRetrying = "queue.state.retrying"
    /// State: done.
    case queueStateDone = "queue.state.done"
    /// State: failed, with its reason.
    case queueStateFailed = "queue.state.failed"
    /// State: cancelled.
    case queueStateCancelled = "queue.state.cancelled"

    /// Labels in the status pane.
    case statusText = "status.text"
    /// Figures in the status pane (counts, bytes, speed, ETA).
    case statusValue = "status.value"
    /// Error messages and failure counts.
    case statusError = "status.error"
    /// Warnings (paused, retrying, embedded server notes).
    case statusWarning = "status.warning"

    /// Timestamps in the log pane.
    case logTime = "log.time"
    /// Log lines.
    case logText = "log.text"
    /// Log lines about failures.
    case logError = "log.error"

    /// Keys in the help overlay and hints.
    case helpKey = "help.key"
    /// Descriptions in the help overlay.
    case helpText = "help.text"

    /// The selected row in the focused pane.
    case selection = "selection"
    /// The selected row in a pane without focus.
    case selectionInactive = "selection.inactive"
    /// Overlays: confirmation dialogs, help, log.
    case dialog = "dialog"

    public static func < (lhs: ThemeRole, rhs: ThemeRole) -> Bool { lhs.rawValue < rhs.rawValue }
}
