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
    /// Bytes taken so far (written to the file, or staged for it).
    private(set) var count: Int64 = 0
    /// How far the kernel has been asked to write the file back (`startWriteback`).
    private var writebackStarted: Int64 = 0
    private var closed = false
    /// Where the staging buffers are counted; nil: every byte goes through the cache.
    private let directBuffers: HeldBodyBudget?
    /// Where the body starts going straight to the disk (see `Direct`); nil: never, or no
    /// more once the file system or the budget has said no.
    private var directFrom: Int64?
    /// One mapping of two chunks, the staging buffers; nil while writes are buffered.
    private var buffers: UnsafeMutableRawPointer?
    /// The buffer bytes gather in (one half of `buffers`); the other is the last full
    /// chunk while `inFlight` writes it.
    private var staging: UnsafeMutableRawPointer?
    /// Bytes in `staging` not yet written.
    private var staged = 0
    /// The direct write under way, if any.
    private var inFlight: DirectWrite?
    /// A direct write that failed: every later write and the sync fail with it, so no
    /// caller can publish a file with a chunk missing.
    private var failure: POSIXError?

    /// Bytes written between two `startWriteback` calls.
    static let writebackStride: Int64 = 8 << 20

    /// How a large body bypasses the page cache.
    ///
    /// Written through the page cache, a body costs the server a kernel copy of every byte
    /// into pages it must first be given, and on this machine (a VM whose balloon takes
    /// freed pages back) that cost swings from 0.2 to 3 s of CPU per GiB between runs of
    /// the same code: `dd` of 1 GiB with `conv=fsync` took 1.9–2.6 s of system time,
    /// against 0.11–0.20 s with `oflag=direct` and 0.55–0.72 s of time in all. A profile of
    /// the pinned server put 30–44 % of its time in that copy (`copy_folio_from_iter_atomic`).
    /// So the first `from` bytes are written as before (a small body never pays for
    /// staging buffers) and the rest is gathered into page-aligned buffers of `chunk`
    /// bytes, each written with `O_DIRECT` when it fills: the disk reads it in place. Two
    /// buffers take turns, one filling while a `DirectWrite` hands the other to the disk,
    /// so the disk's time overlaps the request's hashing and copying (a synchronous first
    /// version left the pinned server idle 0.4–0.6 s of each GiB); when the disk is the
    /// slower, the request's task waits for it, suspended. The tail, less than a chunk,
    /// is written through the cache before the fsync.
    enum Direct {
        /// Bytes written through the page cache before the switch (a multiple of `chunk`,
        /// so every direct write starts aligned).
        static let from: Int64 = 1 << 20
        /// One direct write, and the size of each staging buffer.
        static let chunk = 1 << 20
        /// The staging buffers' alignment: a page, what `mmap` gives. A file system that
        /// asks for more, or for offsets that do not divide `chunk`, gets every byte
        /// through the cache.
        static let alignment = 4096
        /// Staging buffers a server holds at once across its uploads (two chunks a body,
        /// so 32 bodies): past it, a body is written through the cache as before, so
        /// thousands of slow large PUTs cannot make the server hold two chunks each.
        static let budgetBytes = 64 << 20
        /// What one body reserves in the budget.
        static let reserved = 2 * chunk
    }

    /// `O_TMPFILE`: `__O_TMPFILE` (the same on every Linux architecture) with this
    /// architecture's `O_DIRECTORY`; Glibc's macro does not reach Swift.
    static let temporaryFileFlag: Int32 = 0o20_000_000 | O_DIRECTORY

    /// A new file in `directory`: unnamed when `unnamed`, else named `name`. With
    /// `directBuffers`, bytes past `Direct.from` go to the disk directly while that budget
    /// has room (see `Direct`); without, every byte goes through the page cache (what a
    /// body that will not fill a chunk past `Direct.from` gets, and a file system without
    /// direct I/O).
    init(directory: String, unnamed: Bool, name: String, directBuffers: HeldBodyBudget? = nil) throws {
        self.directBuffers = directBuffers
        if unnamed {
            path = nil
            fd = open(directory, O_WRONLY | O_CLOEXEC | Self.temporaryFileFlag, 0o600)
        } else {
            let named = directory + "/" + name
            path = named
            fd = open(named, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        }
        guard fd >= 0 else { throw POSIXError.current() }
        directFrom = directBuffers == nil ? nil : Direct.from
    }

    /// Appends `buffer`. Suspends while the disk is behind by two chunks.
    func write(_ buffer: ByteBuffer) async throws {
        if let failure { throw failure }
        buffer.withUnsafeReadableBytes { md5.update(bufferPointer: $0) }
        var rest = buffer
        while rest.readableBytes > 0 {
            if let staging {
                let taken = min(rest.readableBytes, Direct.chunk - staged)
                rest.withUnsafeReadableBytes { bytes in
                    (staging + staged).copyMemory(from: bytes.baseAddress!, byteCount: taken)
                }
                rest.moveReaderIndex(forwardBy: taken)
                staged += taken
                count += Int64(taken)
                if staged == Direct.chunk { try await writeStaged() }
            } else if let directFrom, count >= directFrom {
                if !startDirect() { self.directFrom = nil }
            } else {
                let taken = directFrom.map { min(rest.readableBytes, Int($0 - count)) } ?? rest.readableBytes
                try rest.withUnsafeReadableBytes { bytes in try DirectWrite.writeAll(fd, bytes.baseAddress!, taken, at: count) }
                rest.moveReaderIndex(forwardBy: taken)
                count += Int64(taken)
            }
        }
        if staging == nil, count - writebackStarted >= Self.writebackStride { startWriteback() }
    }

    /// Switches to direct writes: two staging buffers from the budget, `O_DIRECT` on.
    /// False, and nothing changed, when the file system does not say that it takes direct
    /// writes of a chunk at a time from a page-aligned buffer, or refuses `O_DIRECT`, or the
    /// budget has no room; the body goes on through the cache.
    private func startDirect() -> Bool {
        guard let directBuffers else { return false }
        var memoryAlignment: UInt32 = 0
        var offsetAlignment: UInt32 = 0
        guard hoist_direct_alignment(fd, &memoryAlignment, &offsetAlignment) == 0,
              memoryAlignment > 0, Direct.alignment % Int(memoryAlignment) == 0,
              offsetAlignment > 0, Direct.chunk % Int(offsetAlignment) == 0,
              directBuffers.reserve(Direct.reserved)
        else { return false }
        // Mapped, not allocated: the pages go back to the system at the unmap, where a
        // heap would keep up to the budget's 64 MiB in the server after uploads end.
        let mapped = mmap(nil, Direct.reserved, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let mapped, mapped != MAP_FAILED else {
            directBuffers.release(Direct.reserved)
            return false
        }
        guard hoist_set_direct(fd, 1) == 0 else {
            munmap(mapped, Direct.reserved)
            directBuffers.release(Direct.reserved)
            return false
        }
        // What went through the cache so far starts for the disk now, not at the fsync.
        startWriteback()
        buffers = mapped
        staging = mapped
        return true
    }

    /// The half of `buffers` that `staging` is not.
    private func otherBuffer() -> UnsafeMutableRawPointer? {
        guard let buffers, let staging else { return nil }
        return staging == buffers ? buffers + Direct.chunk : buffers
    }

    /// Hands the full staging buffer to a `DirectWrite` and fills the other one, once the
    /// write before has finished with it.
    private func writeStaged() async throws {
        if let inFlight {
            self.inFlight = nil
            do { try await inFlight.wait() } catch { throw failed(error) }
        }
        guard let full = staging, let idle = otherBuffer() else { return }
        // Every byte before the staged ones is on the file or in the write before.
        inFlight = DirectWrite.start(fd: fd, buffer: full, length: staged, offset: count - Int64(staged))
        staging = idle
        staged = 0
    }

    /// Remembers `error` as the writer's failure (see `failure`) and returns it.
    private func failed(_ error: any Error) -> POSIXError {
        let failure = error as? POSIXError ?? POSIXError(.EIO)
        self.failure = failure
        return failure
    }

    /// Writes what is staged through the cache (`O_DIRECT` off: the tail is no whole
    /// chunk) after the last direct write, and gives the buffers back. Blocks: called by
    /// `sync`, on the store's pool.
    private func writeTail() throws {
        guard let staging else { return }
        if let inFlight {
            self.inFlight = nil
            do { try inFlight.waitBlocking() } catch { throw failed(error) }
        }
        guard hoist_set_direct(fd, 0) == 0 else { throw failed(POSIXError.current()) }
        try DirectWrite.writeAll(fd, staging, staged, at: count - Int64(staged))
        staged = 0
        releaseBuffers()
    }

    /// Gives the staging buffers back, once no write reads them.
    private func releaseBuffers() {
        guard let buffers else { return }
        if let inFlight {
            self.inFlight = nil
            try? inFlight.waitBlocking()
        }
        munmap(buffers, Direct.reserved)
        self.buffers = nil
        staging = nil
        directBuffers?.release(Direct.reserved)
    }

    /// Asks the kernel to start writing the bytes so far to disk, without waiting for the
    /// disk (it can wait for room in the device's request queue, as `write` can wait when
    /// too much is dirty; both on this request's thread). Left
    /// alone, Linux holds a large body in dirty pages until `sync`, whose fsync then writes
    /// all of it while the client waits for the answer: about 1.1 s for 1 GiB on this
    /// machine's disk. Started as the body arrives, the disk keeps pace with the network
    /// and the final fsync waits for less (for 512 MiB at 120 MB/s: 0.29 s instead of 0.59
    /// s, the rest mostly the disk's cache flush). Advisory: a failure here is left for
    /// `sync`'s fsync to report. Called only while nothing is staged: bytes written
    /// directly go to the disk as they are written.
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
        if let failure { throw failure }
        try writeTail()
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
        releaseBuffers()
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
