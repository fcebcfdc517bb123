import Foundation

/// Lines held in an unlinked temporary file until they may all be printed: a list of
/// 100,000 jobs costs disk, not memory, and is printed whole or not at all.
final class Spool {
    private let file: UnsafeMutablePointer<FILE>

    /// Fails with the system's reason when no temporary file can be made.
    init() throws(SpoolError) {
        guard let file = tmpfile() else { throw SpoolError(reason: String(cString: strerror(errno))) }
        self.file = file
    }

    deinit { fclose(file) }

    /// Adds one line (its newline added).
    func append(_ line: String) {
        var line = line
        line.withUTF8 { _ = fwrite($0.baseAddress, 1, $0.count, file) }
        fputc(0x0A, file)
    }

    /// Copies every line to stdout. False once nobody reads it (`| head`); throws when the
    /// temporary file could not hold them.
    func printAll() throws(SpoolError) -> Bool {
        guard fflush(file) == 0, ferror(file) == 0 else { throw SpoolError(reason: String(cString: strerror(errno))) }
        rewind(file)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            guard count > 0 else { break }
            var offset = 0
            while offset < count {
                let written = chunk.withUnsafeBytes { Glibc.write(1, $0.baseAddress! + offset, count - offset) }
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return false }
                offset += written
            }
        }
        guard ferror(file) == 0 else { throw SpoolError(reason: String(cString: strerror(errno))) }
        return true
    }
}

/// The temporary file behind a ``Spool`` failed.
struct SpoolError: Error {
    let reason: String

    var message: String { "cannot hold the list in a temporary file: \(reason)" }
}
