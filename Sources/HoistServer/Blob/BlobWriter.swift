import CHoistIO
import SigV4
import Crypto
import Foundation
import NIOCore

/// Streams one request body into a temporary file, counting bytes and computing the MD5
/// in the same pass, and gives it its blob name only once it is whole and synced.
///
/// Where the file system allows it (`unnamed`), the file is made with `O_TMPFILE`: it has
/// no name at all until `publish` links it into place, so a body cut off or refused, or
/// one a crash interrupts, leaves nothing in any directory. That also spares the sync of
/// `tmp/` that the first `fsync` of a newly named file costs on ext4, about 7 % of the
/// server's CPU in a 2,000 × 4 KiB run (issue 12). Elsewhere it is a named file in `tmp/`
/// that `publish` renames.
final class BlobWriter: @unchecked Sendable {
    // Used by one request task at a time; @unchecked only so `commit` can hand it to a
    // thread-pool thread while that task awaits.
    private let fd: Int32
    /// The file's name in the temporary directory; nil while it has none (`O_TMPFILE`).
    private let path: String?
    private var md5 = Insecure.MD5()
    private(set) var count: Int64 = 0
    /// How far the kernel has been asked to write the file back (`startWriteback`).
    private var writebackStarted: Int64 = 0
    private var closed = false

    /// Bytes written between two `startWriteback` calls.
    static let writebackStride: Int64 = 8 << 20

    /// `O_TMPFILE`: `__O_TMPFILE` (the same on every Linux architecture) with this
    /// architecture's `O_DIRECTORY`; Glibc's macro does not reach Swift.
    static let temporaryFileFlag: Int32 = 0o20_000_000 | O_DIRECTORY

    /// A new file in `directory`: unnamed when `unnamed`, else named `name`.
    init(directory: String, unnamed: Bool, name: String) throws {
        if unnamed {
            path = nil
            fd = open(directory, O_WRONLY | O_CLOEXEC | Self.temporaryFileFlag, 0o600)
        } else {
            let named = directory + "/" + name
            path = named
            fd = open(named, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        }
        guard fd >= 0 else { throw POSIXError.current() }
    }

    /// Appends `buffer`.
    func write(_ buffer: ByteBuffer) throws {
        try buffer.withUnsafeReadableBytes { bytes in
            md5.update(bufferPointer: bytes)
            guard let base = bytes.baseAddress else { return }
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(fd, base + offset, bytes.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw POSIXError.current()
                }
                offset += n
            }
        }
        count += Int64(buffer.readableBytes)
        if count - writebackStarted >= Self.writebackStride { startWriteback() }
    }

    /// Asks the kernel to start writing the bytes so far to disk, without waiting for the
    /// disk (it can wait for room in the device's request queue, as `write` can wait when
    /// too much is dirty; both on this request's thread). Left
    /// alone, Linux holds a large body in dirty pages until `sync`, whose fsync then writes
    /// all of it while the client waits for the answer: about 1.1 s for 1 GiB on this
    /// machine's disk. Started as the body arrives, the disk keeps pace with the network
    /// and the final fsync waits for less (for 512 MiB at 120 MB/s: 0.29 s instead of 0.59
    /// s, the rest mostly the disk's cache flush). Advisory: a failure here is left for
    /// `sync`'s fsync to report.
    private func startWriteback() {
        _ = hoist_start_writeback(fd, writebackStarted, count - writebackStarted)
        writebackStarted = count
    }

    /// The hex MD5 of everything written.
    func hexDigest() -> String {
        Hex.encode(md5.finalize())
    }

    /// Makes the bytes durable (the name comes after, with `publish`), then lets the page
    /// cache go of them.
    ///
    /// Why let go: a stored body is written once and read rarely, and kept in the cache it
    /// costs the next uploads dearly. Measured here (2 cores, 24 GiB, ext4): a `hoist serve`
    /// that had stored five 1 GiB uploads, all still cached, took 3.4–5.3 s of CPU per GiB
    /// for every upload after, against 2.0–2.5 s before, in the kernel's copy of the bytes
    /// into the cache; with the cache dropped after each upload it stayed at 2.1–2.4 s.
    /// The pages are clean once synced, so dropping them writes nothing; a download reads
    /// them from the disk. Advisory: a failure changes nothing stored.
    func sync() throws {
        guard fsync(fd) == 0 else { throw POSIXError.current() }
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
    }

    /// Gives the synced file the name `target` (a link for an unnamed file, a rename for a
    /// named one) and closes it. On failure the file is left for `abort`.
    func publish(as target: String) throws {
        if let path {
            guard rename(path, target) == 0 else { throw POSIXError.current() }
        } else {
            // Linking a descriptor by its /proc path needs no privilege (AT_EMPTY_PATH does).
            guard linkat(AT_FDCWD, "/proc/self/fd/\(fd)", AT_FDCWD, target, AT_SYMLINK_FOLLOW) == 0 else {
                throw POSIXError.current()
            }
        }
        closeFile()
    }

    /// Drops the temporary file: closing an unnamed one is enough.
    func abort() {
        closeFile()
        if let path { unlink(path) }
    }

    private func closeFile() {
        if !closed { close(fd); closed = true }
    }

    deinit { closeFile() }

    /// Whether `directory` takes unnamed files that can be linked into it: `O_TMPFILE`
    /// needs Linux 3.11 and a file system that has it, and linking needs /proc.
    static func unnamedFilesWork(in directory: String) -> Bool {
        guard let writer = try? BlobWriter(directory: directory, unnamed: true, name: "") else { return false }
        defer { writer.abort() }
        let probe = directory + "/.probe-" + UUID().uuidString
        guard (try? writer.publish(as: probe)) != nil else { return false }
        unlink(probe)
        return true
    }
}
