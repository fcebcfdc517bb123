import Logging

/// The server's log handler when it is given no logger: lines on standard error, as
/// swift-log's `StreamLogHandler` writes them, but a logger's metadata is formatted only
/// when a message is written.
///
/// Hummingbird puts a request id on the logger of every request. `StreamLogHandler` turns
/// its whole metadata into text at each change, which was about 0.75 % of the server's CPU
/// per small file (issue 12), for lines that at the server's level (warning) are seldom
/// written at all.
///
/// Used only when `UploadServer.start` is given no logger: it does not go through
/// `LoggingSystem.bootstrap`, so an embedder with a handler of its own passes its logger.
struct DeferredMetadataLogHandler: LogHandler {
    private var stream: StreamLogHandler
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    /// Writes to standard error.
    init(label: String) {
        self.init(label: label, output: nil)
    }

    /// Writes to `output` (tests read what was written), or to standard error.
    init(label: String, output: (any TextOutputStream & Sendable)?) {
        metadataProvider = LoggingSystem.metadataProvider
        stream = output.map { StreamLogHandler(label: label, stream: $0, metadataProvider: nil) } ?? .standardError(label: label, metadataProvider: nil)
    }

    var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var event = event
        // StreamLogHandler's order: the logger's metadata, then the provider's, then the
        // message's own, each winning over the one before.
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let own = event.metadata { merged.merge(own) { $1 } }
        event.metadata = merged.isEmpty ? nil : merged
        stream.log(event: event)
    }
}
