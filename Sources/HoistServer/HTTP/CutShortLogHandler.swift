import Logging
import Synchronization

/// The logger the HTTP listeners are given: another handler's lines, unchanged, but for
/// one line during a shutdown the server cuts short itself (a second SIGTERM or SIGINT).
///
/// Cancelled before its accept loop has seen its closed listener's end, Hummingbird logs
/// the cancellation as an error, `Waiting on child channel: CancellationError()`. The
/// server waits for the listener to close first (`UploadServer`), but on a loaded machine
/// the loop can still be behind: a CI run logged it. Once the cut has been asked for, a
/// cancellation is what was asked, so that line goes out as a notice (under the server's
/// level of warning, not written), and every other line as it came.
struct CutShortLogHandler: LogHandler {
    /// Set when the server cuts its shutdown short; shared by every copy of the handler.
    final class Cut: Sendable {
        private let asked = Atomic(false)
        func set() { asked.store(true, ordering: .releasing) }
        var isSet: Bool { asked.load(ordering: .acquiring) }
    }

    var inner: any LogHandler
    let cut: Cut

    var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        var event = event
        if event.level >= .error, cut.isSet, Self.isCancellation(event) { event.level = .notice }
        // The level is checked here for the inner handler: Logger checked it against the
        // event's level before the change.
        guard event.level >= inner.logLevel else { return }
        inner.log(event: event)
    }

    /// Whether the line is only a task's cancellation: its error, or its message's end.
    private static func isCancellation(_ event: LogEvent) -> Bool {
        event.error is CancellationError || event.message.description.hasSuffix("CancellationError()")
    }

    /// `logger` with its handler wrapped.
    static func wrapping(_ logger: Logger, cut: Cut) -> Logger {
        Logger(label: logger.label) { _ in CutShortLogHandler(inner: logger.handler, cut: cut) }
    }
}
