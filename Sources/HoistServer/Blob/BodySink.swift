import Crypto
import Foundation
import NIOCore
import SigV4
import Synchronization

/// A PUT's body while it arrives at the server's storage URL.
///
/// While the body is at most `smallLimit` bytes it is held in memory, to be kept in the
/// metadata database with its object (see `SQLiteStore+SmallBodies`); the moment it
/// outgrows that, what came so far and the rest stream to a `BlobWriter`, as every body
/// did before. Without a limit (a store that keeps no bodies), when `Content-Length`
/// already says more, or when `budget` has no room for it, it is a `BlobWriter` from the
/// first byte. Otherwise the bytes that arrive decide, so a small chunked body is kept as
/// well. Memory held never exceeds the limit per request, nor the budget across them: a
/// client that opens thousands of slow small PUTs gets files, as before, not gigabytes.
final class BodySink {
    private let disk: DiskBlobStore
    private let smallLimit: Int?
    private let budget: HeldBodyBudget
    /// What this body holds reserved in `budget`: given back when it moves to a file, or
    /// when the request is done with it.
    private var reserved: Int
    private var held = ByteBuffer()
    private var writer: BlobWriter?
    /// Bytes received so far.
    private(set) var count: Int64 = 0

    /// A sink for one body of `declaredLength` bytes (nil: chunked); `smallLimit` nil
    /// sends every byte to `disk`.
    init(disk: DiskBlobStore, smallLimit: Int?, declaredLength: Int64?, budget: HeldBodyBudget) throws {
        self.disk = disk
        self.budget = budget
        // A chunked body may grow to the limit: it reserves all of it.
        let room = smallLimit.map { Int(min(max(declaredLength ?? Int64($0), 0), Int64($0) + 1)) } ?? 0
        guard let smallLimit, room <= smallLimit, budget.reserve(room) else {
            self.smallLimit = nil
            reserved = 0
            writer = try disk.makeWriter(declaredLength: declaredLength)
            return
        }
        self.smallLimit = smallLimit
        reserved = room
        held.reserveCapacity(room)
    }

    deinit { budget.release(reserved) }

    /// Appends `buffer`.
    func write(_ buffer: ByteBuffer) async throws {
        count += Int64(buffer.readableBytes)
        if let writer {
            try await writer.write(buffer)
        } else if let smallLimit, count <= Int64(smallLimit) {
            var buffer = buffer
            held.writeBuffer(&buffer)
        } else {
            // Chunked (a declared length would have kept it within the limit): its size
            // is not known.
            let writer = try disk.makeWriter(declaredLength: nil)
            self.writer = writer
            try await writer.write(held)
            held = ByteBuffer()
            budget.release(reserved)
            reserved = 0
            try await writer.write(buffer)
        }
    }

    /// What the body became: a blob on disk (synced and named), or bytes for the metadata
    /// store to keep under a new id in the commit that records the object.
    func finish() async throws -> (blobId: String, md5: String, bytes: Data?) {
        if let writer {
            let md5 = writer.hexDigest()
            return (try await disk.commit(writer), md5, nil)
        }
        let md5 = held.withUnsafeReadableBytes { Hex.encode(Insecure.MD5.hash(data: $0)) }
        let id = DiskBlobStore.inlinePrefix + RandomID.uuid().uuidString.lowercased()
        let bytes = Data(held.readableBytesView)
        // One copy at a time: the reservation covers the bytes handed on, until deinit.
        held = ByteBuffer()
        return (id, md5, bytes)
    }

    /// Drops whatever was received.
    func abort() {
        writer?.abort()
        held = ByteBuffer()
    }
}

/// Memory bodies may hold at once, across every request: one budget for the small bodies
/// kept whole (`BodySink`), another for the staging buffers of large ones written to the
/// disk directly (`DiskBlobStore.directBuffers`).
final class HeldBodyBudget: Sendable {
    private let available: Mutex<Int>

    /// 16 MiB: 4,096 bodies of 4 KiB, or 256 chunked ones, at the same moment.
    static let defaultBytes = 16 << 20

    init(bytes: Int = HeldBodyBudget.defaultBytes) { available = Mutex(bytes) }

    /// Takes `bytes` if that many are left.
    func reserve(_ bytes: Int) -> Bool {
        available.withLock { left in
            guard bytes <= left else { return false }
            left -= bytes
            return true
        }
    }

    func release(_ bytes: Int) { available.withLock { $0 += bytes } }

    /// Bytes not reserved.
    var left: Int { available.withLock { $0 } }
}
