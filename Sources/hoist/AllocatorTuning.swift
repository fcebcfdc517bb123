#if canImport(Glibc)
import Glibc
#endif

/// glibc malloc settings for streaming uploads.
///
/// Each 256 KiB read buffer of an upload is above glibc's default mmap threshold, and the
/// heap above its default trim threshold is handed back to the kernel as soon as it is
/// free: every chunk then costs fresh pages, zeroed by the kernel (about 50,000 page faults
/// and 10–15 % of the client's CPU per 512 MiB, measured with perf). Serving them from the
/// heap, from one arena, keeping up to 8 MiB of free heap lets the same pages be reused;
/// peak RSS stays bounded by the chunks in flight (44–46 MiB for a 1 GiB upload, as before).
enum AllocatorTuning {
    /// Call once, early, in commands that upload.
    static func apply() {
        #if canImport(Glibc)
        // `mallopt` and its constants live in <malloc.h>, which the Glibc module does not
        // export; look the function up, and use the values glibc documents.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let trimThreshold: Int32 = -1  // M_TRIM_THRESHOLD
        let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD
        let arenaMax: Int32 = -8  // M_ARENA_MAX
        _ = mallopt(mmapThreshold, 1 << 20)
        _ = mallopt(trimThreshold, 8 << 20)
        // One arena: chunks are read on file-system threads and freed on event-loop threads;
        // with an arena per thread each kept its own free heap and one run of three peaked
        // at 129 MB. With one, freed chunks are reused wherever they were allocated.
        _ = mallopt(arenaMax, 1)
        #endif
    }
}
