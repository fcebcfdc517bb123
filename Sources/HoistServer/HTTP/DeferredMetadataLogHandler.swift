import Logging

/// The server's log handler when it is given no logger: lines on standard error, as
/// swift-log's `StreamLogHandler` writes them, but a logger's metadata is formatted only
/// when a message is written.
///
/// Hummingbird puts a request id on the logger of every request. `StreamLogHandler` turns
/// its whole metadata into text at each change, which was about 0.75 % of the server's CPU
/// per small file (issue 12), for lines that at the server's level (warning) are seldom
/// written at all.
struct DeferredMetadataLogHandler: LogHandler {
    private var stream: StreamLogHandler
    var metadata: Logger.Metadata = [:]

    /// Writes to standard error.
    init(label: String) {
        stream = .standardError(label: label)
    }

    /// Writes to `output` (tests read what was written).
    init(label: String, output: any TextOutputStream & Sendable) {
        stream = StreamLogHandler(label: label, stream: output, metadataProvider: nil)
    }

    var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { stream.metadataProvider }
        set { stream.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var event = event
        // The message's own metadata wins over the logger's, as in StreamLogHandler.
        if !metadata.isEmpty { event.metadata = metadata.merging(event.metadata ?? [:]) { $1 } }
        stream.log(event: event)
    }
}
