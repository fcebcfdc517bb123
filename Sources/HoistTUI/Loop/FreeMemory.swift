import CHoistIO

/// Gives the heap's free pages back to the system after a phase that freed many small
/// allocations: a listing (the names, their sort keys) or the checks of a large `u`.
///
/// The commands that upload keep up to 8 MiB of free heap (`AllocatorTuning`, so that an
/// upload's chunks reuse pages instead of faulting in fresh ones), and glibc returns free
/// memory only from the top of the heap. After listing 100,000 files the TUI held 10 MiB
/// of freed heap (`malloc_trim` from gdb took VmRSS from 53.9 to 44.1 MB); each phase's
/// memory then stacked on the last one's.
enum FreeMemory {
    /// `malloc_trim(0)`: a few milliseconds, after a listing and after each slice of a `u`.
    static func giveBack() {
        _ = hoist_give_back_free_memory()
    }
}
