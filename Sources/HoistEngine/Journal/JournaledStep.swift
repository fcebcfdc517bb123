import Foundation

/// The journal row of one job as its runner last wrote it.
///
/// A job's intents often repeat what the step before already recorded: the `.upload` intent
/// names the session the create result just wrote, the `.complete` intent the md5 the upload
/// result just wrote. Writing them again changes nothing on disk but costs a transaction per
/// step, which is most of the journal's cost on small files, so the tracker skips exactly
/// the writes that would leave the row as it is.
struct JournaledStep: Equatable {
    var state: JournalEntry.State
    var session: RemoteSession?
    var md5: String?

    /// Records steps of one row through `journal`, skipping writes that change nothing.
    struct Tracker {
        let journal: Journal
        let row: Int64
        /// What this tracker last wrote; `nil` until its first write (the row may hold
        /// anything from an earlier run).
        private(set) var last: JournaledStep?

        init(journal: Journal, row: Int64) {
            self.journal = journal
            self.row = row
        }

        /// Writes the step unless the row already holds exactly it. Fields left `nil` keep
        /// their stored value, as `Journal.update` does.
        mutating func record(
            _ state: JournalEntry.State, requestedName: String? = nil, intentAt: Date? = nil,
            session: RemoteSession? = nil, md5: String? = nil, stamp: FileIdentity.ChangeStamp? = nil, error: String? = nil
        ) throws(EngineError) {
            let next = JournaledStep(state: state, session: session ?? last?.session, md5: md5 ?? last?.md5)
            let carriesMore = requestedName != nil || intentAt != nil || stamp != nil || error != nil
            if !carriesMore, let last, last == next { return }
            // A value the row already holds is left out (kept by the update): the session
            // would otherwise be JSON-encoded again for nothing.
            try journal.update(row, state: state, requestedName: requestedName, intentAt: intentAt,
                               session: session == last?.session ? nil : session,
                               md5: md5 == last?.md5 ? nil : md5, stamp: stamp, error: error)
            last = next
        }
    }
}
