#if canImport(Glibc)
import Glibc
#endif

/// glibc malloc settings for streaming uploads.
///
/// Each 256 KiB read buffer of an upload is above glibc's default mmap threshold, and the
/// heap above its default trim threshold is handed back to the kernel as soon as it is
/// free: every chunk then costs fresh pages, zeroed by the kernel (about 50,000 page faults
/// and 10–15 % of the client's CPU per 512 MiB, measured with perf). Serving them from the
/// heap and keeping up to 8 MiB of free heap lets the same pages be reused; peak RSS stays
/// bounded by the chunks in flight (about 48 MiB for a 1 GiB upload either way).
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
        _ = mallopt(mmapThreshold, 1 << 20)
        _ = mallopt(trimThreshold, 8 << 20)
        #endif
    }
}
