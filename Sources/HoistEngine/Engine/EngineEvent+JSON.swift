import Foundation

extension EngineEvent {
    /// The NDJSON line `hoist upload --json` prints for this event, or nil for events
    /// that are not part of the script interface (`started`).
    ///
    /// Lightfield jobs carry `"id"`; Luw jobs carry `"url"` (the final URL) once known.
    public func jsonLine(dialect: Dialect, remoteID: String?) -> String? {
        var fields: [(String, JSONValue)] = []
        func add(_ key: String, _ value: JSONValue) { fields.append((key, value)) }
        let name: String
        switch kind {
        case .queued(let size): name = "queued"; add("size", .int(size))
        case .started: return nil
        case .sessionCreated(_, let filename): name = "session"; add("filename", .string(filename))
        case .progress(let sent, let total): name = "progress"; add("sent", .int(sent)); add("total", .int(total))
        case .completing: name = "completing"
        case .completed(_, let md5): name = "completed"; add("md5", .string(md5))
        case .retrying(let attempt, let delay, let reason):
            name = "retrying"
            add("attempt", .int(Int64(attempt)))
            add("delay", .double(Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18))
            add("reason", .string(reason))
        case .failed(let error): name = "failed"; add("error", .string(error.message)); add("error_code", .string(error.codeName))
        case .cancelled: name = "cancelled"
        }
        var head: [(String, JSONValue)] = [("event", .string(name)), ("path", .string(path))]
        if let remoteID { head.append((dialect == .luw ? "url" : "id", .string(remoteID))) }
        return "{" + (head + fields).map { "\(JSONValue.string($0.0).encoded):\($0.1.encoded)" }.joined(separator: ",") + "}"
    }
}

/// Just enough JSON to print flat objects with a fixed key order (JSONEncoder sorts or shuffles).
enum JSONValue {
    case string(String), int(Int64), double(Double)

    var encoded: String {
        switch self {
        case .int(let value): return String(value)
        case .double(let value): return String(format: "%.3f", value)
        case .string(let text):
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
