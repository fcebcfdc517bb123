#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's open-file limit.
enum FileDescriptorLimit {
    /// Raises the soft `RLIMIT_NOFILE` to the hard limit: every connection holds a
    /// descriptor, and the soft default (often 1,024) is far below what the process may
    /// have. Returns the soft limit in force afterwards, or `nil` if it cannot be read.
    @discardableResult
    static func raiseSoftLimitToHard() -> UInt64? {
        var limit = rlimit()
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        guard getrlimit(resource, &limit) == 0 else { return nil }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { return UInt64(raised.rlim_cur) }
        }
        return UInt64(limit.rlim_cur)
    }
}
