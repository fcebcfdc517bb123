import Synchronization

/// The jobs whose session's cancel is being made, or was kept for later, by the session's
/// `pendingID`: a job that said `cancelPending` is told `cancelDone` once the kept cancel
/// is made.
///
/// The journal's cancels are retried on a task of their own, which may make one the
/// moment it is journaled, before its job has said `cancelPending`. So a job registers its
/// session before the cancel is tried (and journaled), and both announcements are made
/// under one lock: a job never hears `cancelDone` before `cancelPending`, and one whose
/// kept cancel was made before it could say so hears neither. Sessions no job registered
/// (an earlier run's, one a job replaced) leave nothing behind here.
final class KeptCancels: Sendable {
    private enum Entry {
        /// The cancel is being tried, or was kept and not yet said.
        case registered(JobID, String)
        /// `cancelPending` said: `cancelDone` is owed.
        case announced(JobID, String)
        /// Made by the journal's retry before the job said anything: it says nothing.
        case made
    }

    private let entries = Mutex<[String: Entry]>([:])

    /// Before job `job` tries to cancel `pendingID` (which may then be kept in the journal).
    func register(_ pendingID: String, job: JobID, path: String) {
        entries.withLock { $0[pendingID] = .registered(job, path) }
    }

    /// Says `cancelPending` through `announce`, unless the kept cancel was made already.
    func announce(_ pendingID: String, _ announce: () -> Void) {
        entries.withLock { entries in
            guard case .registered(let job, let path) = entries[pendingID] else {
                entries[pendingID] = nil
                return
            }
            entries[pendingID] = .announced(job, path)
            announce()
        }
    }

    /// The job will say nothing of `pendingID`: its cancel went through, or the job goes on.
    func forget(_ pendingID: String) {
        _ = entries.withLock { $0.removeValue(forKey: pendingID) }
    }

    /// Job `job` starts again (`retry`): a cancel of its earlier session that is made later
    /// is no news about the new one.
    func forget(job: JobID) {
        entries.withLock { entries in
            entries = entries.filter { _, entry in
                switch entry {
                case .registered(let id, _), .announced(let id, _): id != job
                case .made: true
                }
            }
        }
    }

    /// The kept cancel of `pendingID` was made (the server cancelled the session, or
    /// answered that it had ended): a job that said `cancelPending` is told through `announce`.
    func made(_ pendingID: String, announce: (JobID, String) -> Void) {
        entries.withLock { entries in
            switch entries[pendingID] {
            case .announced(let job, let path):
                entries[pendingID] = nil
                announce(job, path)
            case .registered:
                entries[pendingID] = .made
            case .made, nil:
                break
            }
        }
    }
}
