import Foundation
import NIOPosix

/// Blobs on disk under the data directory, named by random ids so that no user-supplied
/// name ever becomes a path. Bytes are written to a temporary file in `tmp/` (unnamed
/// where the file system allows, see `BlobWriter`), fsynced, then given their name in
/// `blobs/`: a blob either exists whole or not at all.
struct DiskBlobStore: Sendable {
    let blobDirectory: String
    let tempDirectory: String
    /// Bodies go to unnamed temporary files (`O_TMPFILE`), found to work at start.
    let unnamedTemporaries: Bool
    /// The staging buffers of the bodies written to the disk directly (`BlobWriter.Direct`).
    let directBuffers = HeldBodyBudget(bytes: BlobWriter.Direct.budgetBytes)

    init(dataDirectory: String) throws {
        blobDirectory = dataDirectory + "/blobs"
        tempDirectory = dataDirectory + "/tmp"
        for dir in [blobDirectory, tempDirectory] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        unnamedTemporaries = BlobWriter.unnamedFilesWork(in: tempDirectory)
    }

    /// Opens a new temporary file to stream a body of `declaredLength` bytes into (nil:
    /// not known). One declared too short to fill a chunk past `Direct.from` goes
    /// through the page cache: staging buffers would cost it more than they save.
    func makeWriter(declaredLength: Int64?) throws -> BlobWriter {
        let direct = declaredLength.map { $0 >= BlobWriter.Direct.from + Int64(BlobWriter.Direct.chunk) } ?? true
        return try BlobWriter(directory: tempDirectory, unnamed: unnamedTemporaries, name: RandomID.uuid().uuidString,
                              directBuffers: direct ? directBuffers : nil)
    }

    /// Makes a finished writer's bytes durable and gives them a blob id.
    func commit(_ writer: BlobWriter) async throws -> String {
        let blobId = RandomID.uuid().uuidString.lowercased()
        let target = path(of: blobId)
        let directory = blobDirectory
        // fsync of a large file takes long; keep it off the cooperative threads.
        do {
            try await Self.syncPool.runIfActive {
                try writer.sync()
                try writer.publish(as: target)
                do {
                    try Self.syncDirectory(directory)
                } catch {
                    // The store will not record this blob, so it must not stay behind unnamed.
                    unlink(target)
                    throw error
                }
            }
        } catch {
            // Whatever failed, and also when the pool never ran the work (the request was
            // cancelled first): a named temporary file would otherwise stay in tmp/.
            writer.abort()
            throw error
        }
        return blobId
    }

    /// Threads that wait for fsync. A sync waits on the disk, not the CPU, and the file
    /// system folds concurrent syncs into one journal commit, so concurrent PUTs finish
    /// together instead of queueing behind NIO's shared pool (one thread per core).
    private static let syncPool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 16)
        pool.start()
        return pool
    }()

    func path(of blobId: String) -> String { blobDirectory + "/" + blobId }

    /// How the id of a body kept in the metadata database begins (`BodySink`): there is no
    /// file of that name, and the database deletes the bytes with their object.
    static let inlinePrefix = "inline-"

    static func isInline(_ blobId: String) -> Bool { blobId.hasPrefix(inlinePrefix) }

    /// Deletes a blob's file; a body kept in the database went with its object's row.
    func delete(_ blobId: String) {
        guard !Self.isInline(blobId) else { return }
        unlink(path(of: blobId))
    }

    /// Removes leftovers of bodies that were cut off, e.g. by a crash (named temporary
    /// files only: an unnamed one is gone with its descriptor).
    func clearTemporary() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tempDirectory)) ?? [] {
            unlink(tempDirectory + "/" + name)
        }
    }

    /// Every blob id on disk.
    func allBlobIds() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: blobDirectory)) ?? []
    }

    /// The blob ids on disk whose bytes were last written before `date`: a blob just
    /// renamed into place may not have its row yet, but its bytes are as new as its PUT.
    func blobIds(writtenBefore date: Date) -> [String] {
        let limit = date.timeIntervalSince1970
        return allBlobIds().filter { id in
            var info = stat()
            guard stat(path(of: id), &info) == 0 else { return false }
            return Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9 < limit
        }
    }

    /// Makes a new name in `path` durable. A failed sync fails the PUT: the blob's name
    /// may not survive a crash, so the store must not record it.
    private static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw POSIXError.current() }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw POSIXError.current() }
    }
}

extension POSIXError {
    static func current() -> POSIXError { POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
}
