import Foundation
import HoistTestSupport
import NIOCore
import Testing

@testable import HoistServer

@Suite("Blob writer: a body is named only once whole and synced")
struct BlobWriterTests {
    /// Writes "hello", syncs and publishes it as `blobs/x`, in a fresh directory.
    private func publish(unnamed: Bool) async throws -> (dir: String, tempNames: [String], blob: Data?, md5: String) {
        let dir = try TempDirectory.make(prefix: "hoist-blobwriter")
        for sub in ["tmp", "blobs"] { try FileManager.default.createDirectory(atPath: dir + "/" + sub, withIntermediateDirectories: true) }
        let writer = try BlobWriter(directory: dir + "/tmp", unnamed: unnamed, name: "body")
        try await writer.write(ByteBuffer(string: "hello"))
        let whileOpen = try FileManager.default.contentsOfDirectory(atPath: dir + "/tmp")
        try writer.sync()
        try writer.publish(as: dir + "/blobs/x")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/tmp").isEmpty)
        return (dir, whileOpen, FileManager.default.contents(atPath: dir + "/blobs/x"), writer.hexDigest())
    }

    @Test("unnamed (O_TMPFILE): no name in tmp/ while written; linked into place whole")
    func unnamed() async throws {
        let probeDir = try TempDirectory.make(prefix: "hoist-blobwriter-probe")
        defer { try? FileManager.default.removeItem(atPath: probeDir) }
        // The probe leaves nothing behind, whatever it finds.
        let works = BlobWriter.unnamedFilesWork(in: probeDir)
        #expect(try FileManager.default.contentsOfDirectory(atPath: probeDir).isEmpty)
        try #require(works, "this machine's temporary directory takes O_TMPFILE files (ext4, tmpfs, xfs, btrfs do)")
        let run = try await publish(unnamed: true)
        defer { try? FileManager.default.removeItem(atPath: run.dir) }
        #expect(run.tempNames.isEmpty)
        #expect(run.blob == Data("hello".utf8))
        #expect(run.md5 == "5d41402abc4b2a76b9719d911017c592")
    }

    @Test("named: a file in tmp/ while written, renamed into place whole")
    func named() async throws {
        let run = try await publish(unnamed: false)
        defer { try? FileManager.default.removeItem(atPath: run.dir) }
        #expect(run.tempNames == ["body"])
        #expect(run.blob == Data("hello".utf8))
    }

    @Test("a publish that fails keeps nothing: abort closes an unnamed file and removes a named one")
    func failedPublish() async throws {
        for unnamed in [true, false] {
            let dir = try TempDirectory.make(prefix: "hoist-blobwriter")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try FileManager.default.createDirectory(atPath: dir + "/tmp", withIntermediateDirectories: true)
            let writer = try BlobWriter(directory: dir + "/tmp", unnamed: unnamed, name: "body")
            try await writer.write(ByteBuffer(string: "hello"))
            try writer.sync()
            #expect(TestServer.openFiles(in: dir + "/tmp") == [5])
            // No blobs/ directory: the link or rename fails (ENOENT).
            #expect(throws: POSIXError.self) { try writer.publish(as: dir + "/blobs/x") }
            writer.abort()
            #expect(TestServer.openFiles(in: dir + "/tmp") == [])
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/tmp").isEmpty)
            #expect(!FileManager.default.fileExists(atPath: dir + "/blobs/x"))
        }
    }

    @Test("a large body is written back while it arrives: only the bytes since the last stride wait for the fsync")
    func writebackWhileArriving() async throws {
        let dir = try #require(TempDirectory.makeOnDisk(prefix: "blobwriter"), "a writable directory on a disk, not tmpfs")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/tmp", withIntermediateDirectories: true)
        // Named, so that the test can open it too; an unnamed file is written the same way.
        // Through the cache: what a file system without direct I/O gets.
        let writer = try BlobWriter(directory: dir + "/tmp", unnamed: false, name: "body")
        defer { writer.abort() }
        let stride = BlobWriter.writebackStride
        let piece = ByteBuffer(repeating: 0x61, count: Int(stride))
        // Two strides, each starting the writeback of everything so far, then half a stride.
        try await writer.write(piece)
        try await writer.write(piece)
        try await writer.write(piece.getSlice(at: 0, length: Int(stride / 2))!)
        let path = dir + "/tmp/body"
        try #require(PageCache.state(of: path, offset: 0, length: stride) != nil, "this kernel has cachestat (Linux 6.5)")
        // Left alone, Linux keeps new dirty pages for dirty_expire_centisecs (30 s by
        // default) unless gigabytes are dirty; the started strides go to disk at once.
        let written = await waitUntil(timeout: 20) {
            PageCache.state(of: path, offset: 0, length: 2 * stride)?.isOnDisk == true
        }
        #expect(written)
        // The half stride after the last start is left to sync(): nothing else wrote it.
        let tail = try #require(PageCache.state(of: path, offset: 2 * stride, length: stride / 2))
        #expect(tail.dirty > 0)
        try writer.sync()
        #expect(PageCache.state(of: path, offset: 0, length: 3 * stride)?.isOnDisk == true)
        #expect(writer.count == 5 * stride / 2)
    }

    @Test("a synced body leaves the page cache: stored bytes are written once and read rarely, and kept cached they slowed every later upload")
    func syncedBodyLeavesTheCache() async throws {
        let dir = try #require(TempDirectory.makeOnDisk(prefix: "blobwriter"), "a writable directory on a disk, not tmpfs")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/tmp", withIntermediateDirectories: true)
        let writer = try BlobWriter(directory: dir + "/tmp", unnamed: false, name: "body")
        defer { writer.abort() }
        let length = 4 * BlobWriter.writebackStride
        try await writer.write(ByteBuffer(repeating: 0x62, count: Int(length)))
        let path = dir + "/tmp/body"
        let before = try #require(PageCache.state(of: path, offset: 0, length: length), "this kernel has cachestat (Linux 6.5)")
        #expect(before.cached > 0, "just written, the bytes are in the cache")
        try writer.sync()
        let after = try #require(PageCache.state(of: path, offset: 0, length: length))
        #expect(after.isOnDisk)
        #expect(after.cached * 10 < before.cached, "still cached: \(after.cached) of \(before.cached) pages")
        // What was stored is all there, read back from the disk.
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(repeating: 0x62, count: Int(length)))
    }

    /// Writes `data` in pieces of an odd size (so that pieces straddle the switch to direct
    /// writes and every chunk's end) to a named writer in `dir/tmp`.
    private static func write(_ data: Data, to writer: BlobWriter) async throws {
        let piece = 100_003
        for start in stride(from: 0, to: data.count, by: piece) {
            try await writer.write(ByteBuffer(bytes: data[start..<min(start + piece, data.count)]))
        }
    }

    /// A directory on a disk that takes direct writes, with `tmp/` in it.
    private static func directDirectory() throws -> String {
        let dir = try DirectIOFixtures.directory(prefix: "blobwriter")
        try FileManager.default.createDirectory(atPath: dir + "/tmp", withIntermediateDirectories: true)
        return dir
    }

    /// A named writer in `dir/tmp` whose staging buffers `budget` counts.
    private static func directWriter(in dir: String, name: String, budget: HeldBodyBudget) throws -> BlobWriter {
        try BlobWriter(directory: dir + "/tmp", unnamed: false, name: name, directBuffers: budget)
    }

    static let from = Int(BlobWriter.Direct.from)
    static let chunk = BlobWriter.Direct.chunk

    @Test("every byte of a body lands in order with its MD5, whether it ends before, at or past the switch to direct writes or a chunk's end",
          arguments: [0, 1, from - 1, from, from + 1, from + chunk - 1, from + chunk, from + 3 * chunk + 12_345])
    func directWritesKeepEveryByte(size: Int) async throws {
        let dir = try Self.directDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let budget = HeldBodyBudget(bytes: BlobWriter.Direct.reserved)
        let writer = try Self.directWriter(in: dir, name: "body", budget: budget)
        let data = DirectIOFixtures.varied(size)
        try await Self.write(data, to: writer)
        try writer.sync()
        try writer.publish(as: dir + "/stored")
        #expect(writer.count == Int64(size))
        #expect(writer.hexDigest() == MD5Hex.of(data))
        let stored = try Data(contentsOf: URL(fileURLWithPath: dir + "/stored"))
        #expect(stored.count == size)
        #expect(stored == data)
        #expect(budget.left == BlobWriter.Direct.reserved, "the staging buffers are given back")
    }

    @Test("past the first MiB a large body's whole chunks never enter the page cache; the first MiB and the tail do, until the sync lets them go")
    func largeBodyBypassesTheCache() async throws {
        let dir = try Self.directDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let budget = HeldBodyBudget(bytes: BlobWriter.Direct.reserved)
        let writer = try Self.directWriter(in: dir, name: "body", budget: budget)
        defer { writer.abort() }
        let data = DirectIOFixtures.varied(Self.from + 3 * Self.chunk + 1_000)
        try await Self.write(data, to: writer)
        let path = dir + "/tmp/body"
        let head = try #require(PageCache.state(of: path, offset: 0, length: Int64(Self.from)), "this kernel has cachestat (Linux 6.5)")
        #expect(head.cached > 0, "the first MiB goes through the cache")
        let chunks = try #require(PageCache.state(of: path, offset: Int64(Self.from), length: Int64(3 * Self.chunk)))
        #expect(chunks.cached == 0, "\(chunks.cached) pages of the direct chunks are cached")
        #expect(budget.left == 0, "two staging buffers are held while the body arrives")
        // The tail waits in a staging buffer: the file holds the whole chunks only, once
        // the last one's write is done.
        let wholeChunks = await waitUntil(timeout: 10) {
            var info = stat()
            return stat(path, &info) == 0 && Int(info.st_size) == Self.from + 3 * Self.chunk
        }
        #expect(wholeChunks)
        try writer.sync()
        let after = try #require(PageCache.state(of: path, offset: 0, length: Int64(data.count)))
        #expect(after.isOnDisk)
        #expect(after.cached * 10 < head.cached + 1, "still cached after the sync: \(after.cached) pages")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == data)
        #expect(budget.left == BlobWriter.Direct.reserved)
    }

    @Test("with no room left in the staging budget a large body goes through the page cache, as a body did before; an abort gives held buffers back")
    func fullBudgetMeansTheCache() async throws {
        let dir = try Self.directDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let budget = HeldBodyBudget(bytes: BlobWriter.Direct.reserved)
        let first = try Self.directWriter(in: dir, name: "first", budget: budget)
        let second = try Self.directWriter(in: dir, name: "second", budget: budget)
        let data = DirectIOFixtures.varied(Self.from + 2 * Self.chunk)
        try await Self.write(data, to: first)
        #expect(budget.left == 0)
        try await Self.write(data, to: second)
        let chunks = try #require(PageCache.state(of: dir + "/tmp/second", offset: Int64(Self.from), length: Int64(2 * Self.chunk)),
                                  "this kernel has cachestat (Linux 6.5)")
        #expect(chunks.cached > 0, "the second body, past the budget, is written through the cache")
        try second.sync()
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/tmp/second")) == data)
        #expect(second.hexDigest() == MD5Hex.of(data))
        first.abort()
        #expect(budget.left == BlobWriter.Direct.reserved, "the aborted body's staging buffers are given back")
        second.abort()
    }

    @Test("at start, named temporary files a crash left in tmp/ are removed and blobs stay")
    func leftoversCleared() throws {
        let dir = try TempDirectory.make(prefix: "hoist-blobstore")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try DiskBlobStore(dataDirectory: dir)
        #expect(FileManager.default.createFile(atPath: store.tempDirectory + "/cut-off", contents: Data("half a bo".utf8)))
        #expect(FileManager.default.createFile(atPath: store.blobDirectory + "/kept", contents: Data("whole".utf8)))
        store.clearTemporary()
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.tempDirectory).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.blobDirectory) == ["kept"])
    }
}
