import Foundation

/// A done job's story, in the form a finished row keeps for the rest of the run.
///
/// A queue of 100,000 files ends as 100,000 done rows. Kept as they ran, each held its
/// running details (about 250 bytes), a history of strings (about 270) and the two lines
/// that name the remote (about 130). Here the history is a list of stamps, each one of the
/// usual lines by number, rebuilt into the same text when the detail overlay asks. Only
/// an ordinary story is kept this way (see ``init(_:)``); anything else stays as it was.
///
/// Immutable once made, so sharing it between copies of a row keeps value semantics.
final class JobOutcome: Sendable {
    /// One of the lines an ordinary upload's history is made of.
    enum Line: UInt8, Sendable {
        case queued, creating, uploading, completing
        /// "session" and the remote id the row keeps.
        case session
        /// "session" and another remote (``JobOutcome/session``).
        case otherSession
        /// "done:" and the remote id the row keeps.
        case done
    }

    /// A moment: nanoseconds after the first one (to the nearest: times that came over the
    /// background engine's socket as decimal seconds carry a few attoseconds of rounding),
    /// its wall time as stored, and its line.
    struct Stamp: Sendable {
        var nanos: Int64
        var wall: TimeInterval
        var line: Line
    }

    let remoteID: String?
    let remoteName: String?
    /// What a session line named, when not ``remoteID``.
    let session: String?
    /// The first moment's time (engine clock).
    let origin: Duration
    let stamps: [Stamp]

    /// The compact form of `details`, or nil when its history has a line other than the
    /// usual ones (a resume, a retry, a stored name of its own), two sessions named apart
    /// from the remote id, or moments more than 30 years apart.
    init?(_ details: JobRow.Details) {
        guard let first = details.history.first else { return nil }
        let remote = details.remoteID
        var session: String?
        var stamps: [Stamp] = []
        stamps.reserveCapacity(details.history.count)
        for moment in details.history {
            guard let nanos = Self.nanoseconds(moment.time - first.time) else { return nil }
            let line: Line
            switch moment.text {
            case JobRow.queuedText: line = .queued
            case JobRow.creatingText: line = .creating
            case JobRow.uploadingText: line = .uploading
            case JobRow.completingText: line = .completing
            case let text where remote.map { text == JobRow.doneText($0) } == true: line = .done
            case let text where remote.map { text == JobRow.sessionText($0) } == true: line = .session
            case let text where text.hasPrefix(JobRow.sessionText("")):
                let named = String(text.dropFirst(JobRow.sessionText("").count))
                guard session == nil || session == named, JobRow.sessionText(named) == text else { return nil }
                session = named
                line = .otherSession
            default: return nil
            }
            stamps.append(Stamp(nanos: nanos, wall: moment.wall.timeIntervalSinceReferenceDate, line: line))
        }
        remoteID = remote
        remoteName = details.remoteName
        self.session = session
        origin = first.time
        self.stamps = stamps
    }

    /// The history as it was recorded.
    var history: [JobMoment] {
        stamps.map { stamp in
            JobMoment(time: origin + .nanoseconds(stamp.nanos), wall: Date(timeIntervalSinceReferenceDate: stamp.wall),
                      text: text(stamp.line))
        }
    }

    /// The running details this was made from, for a row that changes again.
    var details: JobRow.Details {
        var details = JobRow.Details()
        details.remoteID = remoteID
        details.remoteName = remoteName
        details.history = history
        return details
    }

    private func text(_ line: Line) -> String {
        switch line {
        case .queued: return JobRow.queuedText
        case .creating: return JobRow.creatingText
        case .uploading: return JobRow.uploadingText
        case .completing: return JobRow.completingText
        case .session: return JobRow.sessionText(remoteID ?? "")
        case .otherSession: return JobRow.sessionText(session ?? "")
        case .done: return JobRow.doneText(remoteID ?? "")
        }
    }

    /// `duration` to the nearest nanosecond, when that fits.
    private static func nanoseconds(_ duration: Duration) -> Int64? {
        let (seconds, attoseconds) = duration.components
        guard abs(seconds) < 1_000_000_000 else { return nil }
        return seconds * 1_000_000_000 + (attoseconds + (attoseconds < 0 ? -500_000_000 : 500_000_000)) / 1_000_000_000
    }
}
