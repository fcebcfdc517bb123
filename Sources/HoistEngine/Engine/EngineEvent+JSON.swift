import Foundation

extension EngineEvent {
    /// The NDJSON line `hoist upload --json` prints for this event, or nil for events
    /// that are not part of the script interface (`started`, `cancelDone`).
    ///
    /// Jobs carry their remote name once known, under the dialect's ``Dialect/remoteIDField``:
    /// Lightfield `"id"`, Luw `"url"` (the final URL), s3 `"key"`.
    public func jsonLine(dialect: Dialect, remoteID: String?) -> String? {
        fields(dialect: dialect, remoteID: remoteID, wire: false).map(JSONValue.object)
    }

    /// The fields of this event's line, in print order. `wire` adds what a client of the
    /// background engine needs to rebuild the event exactly (``wireLine(dialect:remoteID:)``).
    func fields(dialect: Dialect, remoteID: String?, wire: Bool) -> [(String, JSONValue)]? {
        var fields: [(String, JSONValue)] = []
        func add(_ key: String, _ value: JSONValue) { fields.append((key, value)) }
        let name: String
        switch kind {
        case .queued(let size): name = "queued"; add("size", .int(size))
        case .started:
            guard wire else { return nil }
            name = "started"
        case .sessionCreated(_, let filename, let resumed):
            name = "session"
            add("filename", .string(filename))
            if resumed { add("resumed", .bool(true)) }
        case .progress(let sent, let total): name = "progress"; add("sent", .int(sent)); add("total", .int(total))
        case .resumed(let held, let total): name = "resumed"; add("held", .int(held)); add("total", .int(total))
        case .verifying(let checked, let total): name = "verifying"; add("checked", .int(checked)); add("total", .int(total))
        case .completing: name = "completing"
        case .completed(_, let md5): name = "completed"; add("md5", .string(md5))
        case .retrying(let attempt, let delay, let reason):
            name = "retrying"
            add("attempt", .int(Int64(attempt)))
            add("delay", .double(delay.seconds))
            add("reason", .string(reason))
        case .failed(let error):
            name = "failed"
            add("error", .string(error.message))
            add("error_code", .string(error.codeName))
            // The server's own status and code (S3's `SlowDown`, Lightfield's `expired`).
            if let status = error.status { add("status", .int(Int64(status))) }
            if let code = error.serverCode { add("server_code", .string(code)) }
            if wire, let message = error.serverMessage { add("server_message", .string(message)) }
        case .cancelled: name = "cancelled"
        case .cancelPending(let reason): name = "cancel_pending"; add("reason", .string(reason))
        case .cancelDone:
            guard wire else { return nil }
            name = "cancel_done"
        }
        var head: [(String, JSONValue)] = [("event", .string(name)), ("path", .string(path))]
        if wire {
            head.insert(("job", .int(Int64(job.rawValue))), at: 1)
            head.append(("time", .precise(time.seconds)))
        }
        if let remoteID { head.append((dialect.remoteIDField, .string(remoteID))) }
        return head + fields
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// Just enough JSON to print flat objects with a fixed key order (JSONEncoder sorts or shuffles).
enum JSONValue {
    case string(String), int(Int64), double(Double), bool(Bool)
    /// A double to the microsecond (event times, from which rates are computed).
    case precise(Double)

    /// A flat object with its keys in the given order.
    static func object(_ fields: [(String, JSONValue)]) -> String {
        // One string grown in place: a line is written for every event of every file.
        var out = "{"
        out.reserveCapacity(160)
        for (index, field) in fields.enumerated() {
            if index > 0 { out += "," }
            out += JSONValue.string(field.0).encoded
            out += ":"
            out += field.1.encoded
        }
        return out + "}"
    }

    var encoded: String {
        switch self {
        case .int(let value): return String(value)
        case .bool(let value): return value ? "true" : "false"
        case .double(let value): return String(format: "%.3f", value)
        case .precise(let value): return String(format: "%.6f", value)
        case .string(let text):
            // Most names need no escape: copied whole rather than scalar by scalar.
            if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
                return "\"" + text + "\""
            }
            var out = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        }
    }
}
