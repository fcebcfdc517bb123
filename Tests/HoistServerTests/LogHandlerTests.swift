import Logging
import Synchronization
import Testing

@testable import HoistServer

@Suite("The server's log handler")
struct LogHandlerTests {
    /// Lines written to it, for the test to read.
    final class Lines: TextOutputStream, @unchecked Sendable {
        private let text = Mutex("")
        func write(_ string: String) { text.withLock { $0 += string } }
        var written: String { text.withLock { $0 } }
    }

    @Test("a logger's metadata, kept unformatted, is on every line written; the message's own wins; lines under the level are not written")
    func metadataOnWrittenLines() {
        let lines = Lines()
        var logger = Logger(label: "hoist.server") { DeferredMetadataLogHandler(label: $0, output: lines) }
        logger.logLevel = .warning
        logger[metadataKey: "hb.request.id"] = "r-1"
        logger[metadataKey: "route"] = "create"
        #expect(logger[metadataKey: "hb.request.id"] == "r-1")
        logger.info("not written")
        logger.warning("slow store", metadata: ["route": "complete"])
        logger[metadataKey: "route"] = nil
        logger.error("gone")
        let written = lines.written.split(separator: "\n")
        #expect(written.count == 2, "\(written)")
        #expect(written.first?.contains("warning hoist.server: hb.request.id=r-1 route=complete [HoistServerTests] slow store") == true, "\(written)")
        #expect(written.last?.contains("error hoist.server: hb.request.id=r-1 [HoistServerTests] gone") == true, "\(written)")

        // With a metadata provider: the logger's metadata, then the provider's, then the
        // message's own, each winning over the one before (StreamLogHandler's order).
        let provided = Lines()
        var traced = Logger(label: "hoist.server") {
            var handler = DeferredMetadataLogHandler(label: $0, output: provided)
            handler.metadataProvider = Logger.MetadataProvider { ["route": "provided", "trace": "t-1"] }
            return handler
        }
        traced[metadataKey: "route"] = "create"
        traced[metadataKey: "user"] = "u-1"
        traced.warning("one", metadata: ["trace": "own"])
        #expect(provided.written.contains("warning hoist.server: route=provided trace=own user=u-1 [HoistServerTests] one"), "\(provided.written)")
    }

    @Test("once a second signal cuts the shutdown short, a listener's cancellation is no error line; before that, and every other line, as they came")
    func cancellationAfterTheCut() {
        let lines = Lines()
        let server = Logger(label: "hoist.server") {
            var handler = DeferredMetadataLogHandler(label: $0, output: lines)
            handler.logLevel = .warning
            return handler
        }
        let cut = CutShortLogHandler.Cut()
        var listener = CutShortLogHandler.wrapping(server, cut: cut)
        #expect(listener.logLevel == .warning)
        listener[metadataKey: "hb.request.id"] = "r-2"
        listener.error("Waiting on child channel: CancellationError()")
        cut.set()
        listener.error("Waiting on child channel: CancellationError()")
        listener.error("Waiting on child channel: connection reset by peer")
        listener.warning("second SIGTERM: the connections still open are closed now")
        listener.info("not written")
        let written = lines.written.split(separator: "\n")
        #expect(written.count == 3, "\(written)")
        #expect(written.first?.contains("error hoist.server: hb.request.id=r-2 [HoistServerTests] Waiting on child channel: CancellationError()") == true, "\(written)")
        #expect(written.dropFirst().first?.contains("connection reset by peer") == true, "\(written)")
        #expect(written.last?.contains("warning hoist.server: hb.request.id=r-2 [HoistServerTests] second SIGTERM") == true, "\(written)")
    }
}
