import Foundation

extension EngineEvent {
    /// The line the background engine sends its clients for this event: the NDJSON line of
    /// `hoist upload --json` plus `job`, `time` (engine clock, seconds), the `started` event
    /// and a failure's `status`, `server_code` and `server_message`. One vocabulary for
    /// scripts and front ends; ``init(wireLine:)`` reads it back.
    public func wireLine(dialect: Dialect, remoteID: String?) -> String {
        JSONValue.object(fields(dialect: dialect, remoteID: remoteID, wire: true) ?? [])
    }

    /// The event a ``wireLine(dialect:remoteID:)`` describes; nil when the line is not an
    /// engine event (a control line of the agent protocol, or not JSON at all).
    public init?(wireLine line: some StringProtocol) {
        guard let fields = try? JSONDecoder().decode(WireFields.self, from: Data(line.utf8)),
              let job = fields.job, let path = fields.path, let kind = fields.kind
        else { return nil }
        self.init(job: JobID(job), path: path, kind: kind, time: .microseconds(Int64(((fields.time ?? 0) * 1e6).rounded())))
    }
}

/// Every field an event line may carry.
private struct WireFields: Decodable {
    var event: String
    var job: Int?
    var path: String?
    var time: Double?
    var id: String?
    var url: String?
    var key: String?
    var size: Int64?
    var filename: String?
    var resumed: Bool?
    var sent: Int64?
    var held: Int64?
    var checked: Int64?
    var total: Int64?
    var md5: String?
    var attempt: Int?
    var delay: Double?
    var reason: String?
    var error: String?
    var errorCode: String?
    var status: Int?
    var serverCode: String?
    var serverMessage: String?

    enum CodingKeys: String, CodingKey {
        case event, job, path, time, id, url, key, size, filename, resumed, sent, held, checked, total, md5, attempt, delay, reason, error, status
        case errorCode = "error_code", serverCode = "server_code", serverMessage = "server_message"
    }

    var kind: EngineEvent.Kind? {
        // Each dialect's `Dialect.remoteIDField`: Lightfield's id, Luw's final URL, an s3 key.
        let remote = id ?? url ?? key
        switch event {
        case "queued": return size.map { .queued(size: $0) }
        case "started": return .started
        case "session":
            guard let remote, let filename else { return nil }
            return .sessionCreated(remoteID: remote, filename: filename, resumed: resumed ?? false)
        case "progress":
            guard let sent, let total else { return nil }
            return .progress(sent: sent, total: total)
        case "resumed":
            guard let held, let total else { return nil }
            return .resumed(held: held, total: total)
        case "verifying":
            guard let checked, let total else { return nil }
            return .verifying(checked: checked, total: total)
        case "completing": return .completing
        case "completed":
            guard let remote, let md5 else { return nil }
            return .completed(remoteID: remote, md5: md5)
        case "retrying":
            guard let attempt, let delay, let reason else { return nil }
            return .retrying(attempt: attempt, delay: .microseconds(Int64((delay * 1e6).rounded())), reason: reason)
        case "failed":
            guard let error, let errorCode else { return nil }
            // A code this build does not know (a newer engine) still fails the job, readably.
            let failure = EngineError(
                codeName: errorCode, message: error, status: status, serverCode: serverCode, serverMessage: serverMessage)
                ?? .protocolViolation(error)
            return .failed(failure)
        case "cancelled": return .cancelled
        case "cancel_pending":
            guard let reason else { return nil }
            return .cancelPending(reason: reason)
        case "cancel_done": return .cancelDone
        default: return nil
        }
    }
}
