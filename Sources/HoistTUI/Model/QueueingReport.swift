import Foundation

/// What one `u` has done with its paths so far: queued, found already queued, refused. Its
/// paths are checked and queued a slice at a time; the status line speaks for all of them.
public struct QueueingReport: Sendable, Equatable {
    /// How many paths, and the one path when there is exactly one (it is named).
    public struct Tally: Sendable, Equatable {
        public private(set) var count = 0
        public private(set) var only: String?

        mutating func add(_ path: String) {
            count += 1
            only = count == 1 ? path : nil
        }

        /// "a.png" for one, "3 items" for more.
        var said: String {
            only.map { ($0 as NSString).lastPathComponent } ?? Format.count(count, "item")
        }
    }

    public var queued = Tally()
    public var already = Tally()
    public var refused: [PathCheck] = []
    /// The files (``PathCheck/fileKey``) queued or running when this `u` began, and those it
    /// queued since: a later slice's second path to one of them is "already queued" before
    /// the engine has reported the first. Nil until the first slice.
    public var inQueue: FileKeySet?

    public init() {}

    /// The status line: "queued 3 items; a.png already queued; not queued: …".
    var message: String {
        var parts: [String] = []
        if queued.count > 0 { parts.append("queued \(queued.said)") }
        if already.count > 0 { parts.append("\(already.said) already queued") }
        if refused.count == 1, let problem = refused[0].problem {
            parts.append("not queued: \(problem.description)")
        } else if !refused.isEmpty {
            let reasons = refused.map { "\(($0.path as NSString).lastPathComponent) (\($0.problem?.shortReason ?? ""))" }
            parts.append("not queued: " + reasons.joined(separator: ", "))
        }
        return parts.joined(separator: "; ")
    }
}
