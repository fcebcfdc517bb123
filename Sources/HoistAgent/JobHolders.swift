import HoistEngine

/// Who asked for each unfinished job: the connections whose `add` was answered with it (a
/// file two commands name is one job, shared), and 0 for the engine's own adds (what a
/// killed engine left). A command's cancel of its own jobs (`cancel` with `mine`) ends a
/// job only when nobody else asked for it; otherwise the command just lets go of it.
/// A holder that hung up still holds: its uploads go on without it, as a `--detach`'s do.
/// Pure.
struct JobHolders: Sendable, Equatable {
    /// Most jobs have one holder: kept without a set (100,000 queued jobs would make as
    /// many sets); `shared` holds the others of the few two commands asked for.
    private var first: [JobID: Int] = [:]
    private var shared: [JobID: Set<Int>] = [:]

    /// Records that `holder`'s add was answered with `job`.
    mutating func add(_ holder: Int, to job: JobID) {
        guard let current = first[job] else {
            first[job] = holder
            return
        }
        guard current != holder else { return }
        shared[job, default: []].insert(holder)
    }

    /// `holder` lets go of `job`. True when another holder still wants it, so the job goes
    /// on (and `holder` no longer holds it); false when nobody else does: the job is then the
    /// caller's to cancel, and its holders stay until it ends.
    mutating func release(_ job: JobID, by holder: Int) -> Bool {
        var all = holders(of: job)
        all.remove(holder)
        guard let next = all.min() else { return false }
        all.remove(next)
        first[job] = next
        shared[job] = all.isEmpty ? nil : all
        return true
    }

    /// The job ended: nobody holds it any more.
    mutating func end(_ job: JobID) {
        first[job] = nil
        shared[job] = nil
    }

    /// Everyone holding `job`.
    func holders(of job: JobID) -> Set<Int> {
        guard let one = first[job] else { return [] }
        return (shared[job] ?? []).union([one])
    }
}
