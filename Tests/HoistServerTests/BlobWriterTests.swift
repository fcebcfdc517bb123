import Foundation
import HoistTestSupport
import NIOCore
import Testing

@testable import HoistServer

@Suite("Blob writer: a body is named only once whole and synced")
struct BlobWriterTests {
    /// Writes "hello", syncs and publishes it as `blobs/x`, in a fresh directory.
    private func publish(unnamed: Bool) throws -> (dir: String, tempNames: [String], blob: Data?, md5: String) {
        let dir = try TempDirectory.make(prefix: "hoist-blobwriter")
        for sub in ["tmp", "blobs"] { try FileManager.default.createDirectory(atPath: dir + "/" + sub, withIntermediateDirectories: true) }
        let writer = try BlobWriter(directory: dir + "/tmp", unnamed: unnamed, name: "body")
        try writer.write(ByteBuffer(string: "hello"))
        let whileOpen = try FileManager.default.contentsOfDirectory(atPath: dir + "/tmp")
        try writer.sync()
        try writer.publish(as: dir + "/blobs/x")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/tmp").isEmpty)
        return (dir, whileOpen, FileManager.default.contents(atPath: dir + "/blobs/x"), writer.hexDigest())
    }

    @Test("unnamed (O_TMPFILE): no name in tmp/ while written; linked into place whole")
    func unnamed() throws {
        let probeDir = try TempDirectory.make(prefix: "hoist-blobwriter-probe")
        defer { try? FileManager.default.removeItem(atPath: probeDir) }
        // The probe leaves nothing behind, whatever it finds.
        let works = BlobWriter.unnamedFilesWork(in: probeDir)
        #expect(try FileManager.default.contentsOfDirectory(atPath: probeDir).isEmpty)
        try #require(works, "this machine's temporary directory takes O_TMPFILE files (ext4, tmpfs, xfs, btrfs do)")
        let run = try publish(unnamed: true)
        defer { try? FileManager.default.removeItem(atPath: run.dir) }
        #expect(run.tempNames.isEmpty)
        #expect(run.blob == Data("hello".utf8))
        #expect(run.md5 == "5d41402abc4b2a76b9719d911017c592")
    }

    @Test("named: a file in tmp/ while written, renamed into place whole")
    func named() throws {
        let run = try publish(unnamed: false)
        defer { try? FileManager.default.removeItem(atPath: run.dir) }
        #expect(run.tempNames == ["body"])
        #expect(run.blob == Data("hello".utf8))
    }

    @Test("a publish that fails keeps nothing: abort closes an unnamed file and removes a named one")
    func failedPublish() throws {
        for unnamed in [true, false] {
            let dir = try TempDirectory.make(prefix: "hoist-blobwriter")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try FileManager.default.createDirectory(atPath: dir + "/tmp", withIntermediateDirectories: true)
            let writer = try BlobWriter(directory: dir + "/tmp", unnamed: unnamed, name: "body")
            try writer.write(ByteBuffer(string: "hello"))
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
        let writer = try BlobWriter(directory: dir + "/tmp", unnamed: false, name: "body")
        defer { writer.abort() }
        let stride = BlobWriter.writebackStride
        let piece = ByteBuffer(repeating: 0x61, count: Int(stride))
        // Two strides, each starting the writeback of everything so far, then half a stride.
        try writer.write(piece)
        try writer.write(piece)
        try writer.write(piece.getSlice(at: 0, length: Int(stride / 2))!)
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
        try writer.write(ByteBuffer(repeating: 0x62, count: Int(length)))
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
