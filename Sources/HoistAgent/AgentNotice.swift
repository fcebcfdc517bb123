import Foundation
import HoistEngine

/// A line from the engine that is not a job's event: the greeting, the end of the
/// snapshot, answers, errors and settings.
public struct AgentNotice: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// The answer to `hello`.
        case hello
        /// The snapshot is complete; live events follow.
        case ready
        /// The answer to `add`: the job ids, in the order of the paths. Asked for in parts,
        /// every `added` but the last says `more`, and the ids are all of theirs in order.
        case added
        /// The answer to `url`.
        case url
        /// A request failed (`code`, `message`); with code `version_mismatch` the engine closes.
        case error
        /// Pause, concurrency or rate limit changed (by any client), or the files waiting
        /// to be queued did.
        case settings
        /// The engine is stopping (`hoist stop`, idle, or a signal); the stream ends.
        case stopping
        /// The answer to a `cancel` with `mine` of a job another client asked for too: this
        /// client no longer holds `job` (at `path`, as of `clock`), and the job goes on for
        /// the other. Sent to the asking client only; the job's later events are not its own.
        case released
    }

    public var event: Kind
    public var tag: Int?
    public var protocolVersion: Int?
    public var version: String?
    public var pid: Int32?
    /// When the engine started (Unix seconds): with `pid`, which engine this is.
    public var started: Double?
    public var destination: String?
    /// Where uploads go, as the status pane says it.
    public var label: String?
    /// The destination's dialect and purpose, for a client's local checks.
    public var dialect: String?
    public var purpose: String?
    /// The engine's clock at the greeting, or at a `released` (seconds, `MachineEngineClock`).
    public var clock: Double?
    public var paused: Bool?
    public var concurrency: Int?
    public var rateLimit: Int64?
    /// `hello` and `settings`: files handed over in parts (`add` with `parts`) that have
    /// no job yet, and their bytes as far as clients said them: a walk held at its backlog
    /// queues the rest as room comes. A walk that has not reached its last path counts at
    /// least one (a directory may hold many).
    public var waitingFiles: Int?
    public var waitingBytes: Int64?
    /// `hello`: completed jobs the engine no longer lists in its snapshot (it keeps the
    /// latest 1,000 whole), as runs of ids with their bytes; absent when there are none.
    public var unlistedDone: UnlistedJobs?
    public var jobs: [Int]?
    /// `added` in parts: more ids follow.
    public var more: Bool?
    public var job: Int?
    /// `released`: the job's local file.
    public var path: String?
    public var url: String?
    public var code: String?
    public var message: String?
    /// `stopping`: why the engine stops. The last `added`: why the add ended before its
    /// last path (the engine stopped, or a cancel of everything pending), absent when it
    /// reached it: the files not reached have no job.
    public var reason: String?

    enum CodingKeys: String, CodingKey {
        case event, tag, version, pid, started, destination, label, dialect, purpose, clock, paused, concurrency, jobs, more, job, path, url, code, message, reason
        case protocolVersion = "protocol", rateLimit = "rate_limit", waitingFiles = "waiting_files", waitingBytes = "waiting_bytes", unlistedDone = "unlisted_done"
    }

    public init(_ event: Kind, tag: Int? = nil) {
        self.event = event
        self.tag = tag
    }

    /// The notice as one line, newline included.
    public var line: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self) + "\n"
    }

    /// The destination's profile as far as local checks need it.
    public var profile: Profile {
        Profile(name: "engine", dialect: dialect.flatMap(Dialect.init(rawValue:)) ?? .lightfield, endpoint: destination ?? "",
                apiKeyEnv: nil, purpose: purpose)
    }

    /// Which engine instance sent this greeting (pid and start time).
    public var instance: String { "\(pid ?? 0)@\(started ?? 0)" }
}

/// One line read from the engine.
public enum AgentLine: Sendable, Equatable {
    case event(EngineEvent)
    case notice(AgentNotice)

    /// Reads a line; nil when it is neither.
    public init?(_ text: some StringProtocol) {
        if let event = EngineEvent(wireLine: text) {
            self = .event(event)
        } else if let notice = try? JSONDecoder().decode(AgentNotice.self, from: Data(text.utf8)) {
            self = .notice(notice)
        } else {
            return nil
        }
    }
}
