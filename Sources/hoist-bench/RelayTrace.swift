import Foundation
import NIOCore

/// What `hoist-bench relay --trace` records, and the split of a call's time read from it.
///
/// The relay sees every request and answer on the server's side of the link, so the time
/// between them divides a call without trusting either end's clock or its own account:
/// - the **server's side** of a call runs from the last chunk of a request reaching the
///   relay to the first chunk of its answer, less the one-way delay the relay adds before
///   passing the request on: the server's handler, its HTTP stack and the loopback hop;
/// - the **client's side** runs from the last chunk of an answer to the first chunk of the
///   next request on the same connection, less the delay the relay adds before passing the
///   answer on (a request is read as it arrives): the client's own time between calls,
///   tbf's serialization and the relay's lateness in passing chunks on. A connection that
///   waited in the client's pool while its job used another counts its wait here too.
///
/// A line is `connection direction instant bytes`: the relay's number for the connection,
/// `u` (a request's bytes, from the client) or `d` (an answer's, from the server), the
/// instant it read them (nanoseconds of the monotonic clock, as `NIODeadline.now()`), and
/// how many bytes it read.
enum RelayTrace {
    enum Direction: String, Sendable {
        case request = "u"
        case answer = "d"
    }

    /// Appends one connection's lines to the trace file, on the relay's one event loop
    /// thread. Each connection appends through its own descriptor (`O_APPEND` keeps whole
    /// lines), closed with the connection's pipes.
    final class Writer: @unchecked Sendable {
        private let fd: Int32

        /// Nil when the file does not exist (nothing is being traced) or cannot be opened.
        init?(path: String) {
            fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
            guard fd >= 0 else { return nil }
        }

        /// A write per line: the bench reads the file while the relay runs, so nothing waits in a buffer.
        func append(_ line: String) {
            var line = line
            line.withUTF8 { bytes in _ = write(fd, bytes.baseAddress, bytes.count) }
        }

        deinit { close(fd) }
    }

    /// One connection's entry to the trace.
    struct Tap: Sendable {
        let writer: Writer
        let connection: Int

        /// A tap for a connection accepted now: nil unless the trace file exists.
        init?(path: String, connection: Int) {
            guard let writer = Writer(path: path) else { return nil }
            self.writer = writer
            self.connection = connection
        }

        func record(_ direction: Direction, bytes: Int, at instant: NIODeadline = .now()) {
            writer.append("\(connection) \(direction.rawValue) \(instant.uptimeNanoseconds) \(bytes)\n")
        }
    }

    /// The mean of each side of a call over the calls a trace shows.
    struct Split: Sendable, Equatable {
        /// Answers that followed a request.
        var calls: Int
        var serverSide: Duration
        /// Nil when no connection carried a second request.
        var clientSide: Duration?
    }

    /// The split over the lines of `text` whose instants fall in `window` (nanoseconds, as
    /// `NIODeadline.uptimeNanoseconds`), for a relay that delays each way by `delay`. Nil
    /// when no answer followed a request there. Lines that do not parse are skipped.
    static func split(_ text: String, delay: Duration, window: ClosedRange<UInt64>) -> Split? {
        struct Run { var direction: Direction; var first: UInt64; var last: UInt64 }
        var runs: [Int: [Run]] = [:]
        var events: [(connection: Int, direction: Direction, instant: UInt64)] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 4, let connection = Int(fields[0]), let direction = Direction(rawValue: String(fields[1])),
                  let instant = UInt64(fields[2]), window.contains(instant) else { continue }
            events.append((connection, direction, instant))
        }
        // A connection's chunks in time order; a run is what one side sent before the other answered.
        func add(_ direction: Direction, _ instant: UInt64, to connection: inout [Run]) {
            if connection.last?.direction == direction {
                connection[connection.count - 1].last = instant
            } else {
                connection.append(Run(direction: direction, first: instant, last: instant))
            }
        }
        for event in events.sorted(by: { $0.instant < $1.instant }) {
            add(event.direction, event.instant, to: &runs[event.connection, default: []])
        }
        let delayNanoseconds = delay.seconds * 1e9
        var server: [Double] = [], client: [Double] = []
        for connection in runs.values {
            for (before, after) in zip(connection, connection.dropFirst()) {
                let gap = Double(after.first) - Double(before.last) - delayNanoseconds
                if before.direction == .request { server.append(gap) } else { client.append(gap) }
            }
        }
        guard !server.isEmpty else { return nil }
        func mean(_ values: [Double]) -> Duration { .nanoseconds(Int64(values.reduce(0, +) / Double(values.count))) }
        return Split(calls: server.count, serverSide: mean(server), clientSide: client.isEmpty ? nil : mean(client))
    }
}
