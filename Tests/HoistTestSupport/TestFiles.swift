import Foundation
#if canImport(SystemPackage)
import SystemPackage
#else
import System
#endif

/// Writes test fixtures to disk without syncing them.
///
/// Foundation's `Data.write(to:)`, `String.write(toFile:)` and `FileManager.createFile` call
/// fsync on every file they write. A fixture never has to survive a crash of the machine,
/// and an fsync costs from a tenth of a millisecond to tens of milliseconds when the rest
/// of a full run is writing too. One test that made 8,550 one-byte files held a pool
/// thread for up to 29 s in full runs this way (0.8 s alone), and with one pool thread per
/// core every other test's engine, server and timers waited behind it.
public enum TestFiles {
    /// Creates `path` (or truncates it) with mode 0644 and writes `bytes` to it.
    public static func write(_ bytes: some Sequence<UInt8>, to path: String) throws {
        // The C string, not a FilePath: a debug build checks a FilePath's invariants
        // character by character, four fifths of the cost of a small file.
        let file = try path.withCString {
            try FileDescriptor.open($0, .writeOnly, options: [.create, .truncate],
                                    permissions: [.ownerReadWrite, .groupRead, .otherRead])
        }
        try file.closeAfter { _ = try file.writeAll(bytes) }
    }

    /// Writes `text` as UTF-8 to `path`, as ``write(_:to:)`` does.
    public static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }
}
