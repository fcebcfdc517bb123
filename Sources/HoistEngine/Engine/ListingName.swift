#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The name of a directory listing's entry, as the walk and the TUI's browser read it.
public enum ListingName {
    /// `entry`'s name, and whether it is UTF-8. One that is not has no String that names
    /// it (Swift repairs each bad byte into U+FFFD, another name): the name returned then
    /// is that repaired one, for showing only.
    public static func of(_ entry: UnsafeMutablePointer<dirent>) -> (name: String, isUTF8: Bool) {
        withUnsafeBytes(of: entry.pointee.d_name) { raw in
            let bytes = raw.prefix { $0 != 0 }
            let name = String(validating: bytes, as: UTF8.self)
            return (name ?? String(decoding: bytes, as: UTF8.self), name != nil)
        }
    }
}
