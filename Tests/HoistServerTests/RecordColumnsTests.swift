import Foundation
import GRDB
import HoistTestSupport
import Testing

@testable import HoistServer

/// The records' column-by-column reads and writes keep the store's format: every field
/// back as it was written, dates as exact integer milliseconds, and rows written before
/// (by GRDB's Codable path, which stored the same integers) read the same.
@Suite("Store records, column by column")
struct RecordColumnsTests {
    private func withStore(_ body: (SQLiteStore) throws -> Void) throws {
        let dir = try TempDirectory.make(prefix: "hoist-records")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try body(try SQLiteStore(directory: dir))
    }

    private func session(full: Bool) -> SessionRecord {
        SessionRecord(
            id: full ? "lf_full" : "lw_bare", dialect: full ? .lightfield : .luw, userId: "user-1",
            purpose: full ? "general" : nil, filename: "a b.txt", objectKey: "user-1/a b.txt", mimeType: "text/plain",
            sizeBytes: full ? 4096 : nil, status: full ? .completed : .pending, md5: full ? "0cc175b9c0f1b6a831c399e269772661" : nil,
            createdAt: Date(millis: 1_796_000_000_123), completedAt: full ? Date(millis: 1_796_000_001_999) : nil,
            expiresAt: Date(millis: 1_796_000_900_001), pid: full ? 42 : nil, requiredHeaders: full ? "content-type: text/plain" : "")
    }

    private func expectSame(_ a: SessionRecord?, _ b: SessionRecord) {
        guard let a else { Issue.record("no session \(b.id)"); return }
        #expect(a.id == b.id && a.dialect == b.dialect && a.userId == b.userId && a.purpose == b.purpose)
        #expect(a.filename == b.filename && a.objectKey == b.objectKey && a.mimeType == b.mimeType && a.sizeBytes == b.sizeBytes)
        #expect(a.status == b.status && a.md5 == b.md5 && a.pid == b.pid && a.requiredHeaders == b.requiredHeaders)
        #expect(a.createdAt.millis == b.createdAt.millis && a.expiresAt.millis == b.expiresAt.millis)
        #expect(a.completedAt?.millis == b.completedAt?.millis)
    }

    @Test("a session with every field set, and one with none of its optional fields, read back as written")
    func sessionsRoundTrip() throws {
        try withStore { store in
            for record in [session(full: true), session(full: false)] {
                try store.pool.write { db in try record.insert(db) }
                expectSame(try store.pool.read { db in try SessionRecord.lookup(db, id: record.id) }, record)
            }
            // Updated through the same encoding: the changed fields, and only those, move.
            var changed = session(full: false)
            changed.status = .completed
            changed.completedAt = Date(millis: 1_796_000_002_500)
            try store.pool.write { db in try changed.update(db) }
            expectSame(try store.pool.read { db in try SessionRecord.lookup(db, id: changed.id) }, changed)
            // Dates are stored as integers of milliseconds, the format the store has always had.
            let stored = try store.pool.read { db in
                try Row.fetchOne(db, sql: "SELECT typeof(createdAt) AS t, createdAt, completedAt FROM sessions WHERE id = 'lf_full'")
            }
            #expect(stored?["t"] == "integer")
            #expect(stored?["createdAt"] == 1_796_000_000_123 as Int64)
            #expect(stored?["completedAt"] == 1_796_000_001_999 as Int64)
        }
    }

    @Test("the store's prepared writes (insertRow, updateRow, saveRow) store every field as written, optional ones empty too")
    func preparedWritesRoundTrip() throws {
        try withStore { store in
            for record in [session(full: true), session(full: false)] {
                try store.pool.write { db in try record.insertRow(db) }
                expectSame(try store.pool.read { db in try SessionRecord.lookup(db, id: record.id) }, record)
            }
            var changed = session(full: true)
            changed.status = .cancelled
            changed.md5 = nil
            changed.completedAt = nil
            changed.expiresAt = Date(millis: 1_796_000_009_001)
            try store.pool.write { db in try changed.updateRow(db) }
            expectSame(try store.pool.read { db in try SessionRecord.lookup(db, id: changed.id) }, changed)
            var missing = changed
            missing.id = "lf_nobody"
            #expect(throws: RecordError.self) { try store.pool.write { db in try missing.updateRow(db) } }

            var object = ObjectRecord(
                objectKey: "user-1/b.txt", sessionId: "lf_full", blobId: "blob-1", size: 4096, md5: "0cc175b9c0f1b6a831c399e269772661",
                contentType: "text/plain", cacheControl: "max-age=60", expiresHeader: "Thu, 01 Jan 2032 00:00:00 GMT",
                storedAt: Date(millis: 1_796_000_003_007), deleteAt: Date(millis: 1_796_086_400_000))
            for _ in 0..<2 {
                try store.pool.write { db in try object.saveRow(db) }
                let read = try #require(try store.pool.read { db in try ObjectRecord.lookup(db, key: object.objectKey) })
                #expect(read.sessionId == object.sessionId && read.blobId == object.blobId && read.size == object.size && read.md5 == object.md5)
                #expect(read.contentType == object.contentType && read.cacheControl == object.cacheControl && read.expiresHeader == object.expiresHeader)
                #expect(read.storedAt.millis == object.storedAt.millis && read.deleteAt?.millis == object.deleteAt?.millis)
                // The second save lands on the same key: every column replaced, optional ones emptied.
                object = ObjectRecord(objectKey: object.objectKey, sessionId: "lf_empty", blobId: "blob-2", size: 7, md5: "9e107d9d372bb6826bd81d3542a419d6",
                                      contentType: "image/png", cacheControl: nil, expiresHeader: nil, storedAt: Date(millis: 1_796_000_004_000), deleteAt: nil)
            }
            #expect(try store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM objects") } == 1)
        }
    }

    @Test("an object and a key read back as written; a row written as integers by plain SQL reads the same")
    func objectsAndKeysRoundTrip() throws {
        try withStore { store in
            let object = ObjectRecord(
                objectKey: "user-1/a.txt", sessionId: "lf_full", blobId: "blob-1", size: 4096, md5: "0cc175b9c0f1b6a831c399e269772661",
                contentType: "text/plain", cacheControl: "max-age=60", expiresHeader: "Thu, 01 Jan 2032 00:00:00 GMT",
                storedAt: Date(millis: 1_796_000_003_007), deleteAt: Date(millis: 1_796_086_400_000))
            try store.pool.write { db in try object.insert(db) }
            let read = try #require(try store.pool.read { db in try ObjectRecord.lookup(db, key: object.objectKey) })
            #expect(read.sessionId == object.sessionId && read.blobId == object.blobId && read.size == object.size && read.md5 == object.md5)
            #expect(read.contentType == object.contentType && read.cacheControl == object.cacheControl && read.expiresHeader == object.expiresHeader)
            #expect(read.storedAt.millis == object.storedAt.millis && read.deleteAt?.millis == object.deleteAt?.millis)

            try store.pool.write { db in
                try db.execute(sql: """
                    INSERT INTO objects (objectKey, sessionId, blobId, size, md5, contentType, cacheControl, expiresHeader, storedAt, deleteAt)
                    VALUES ('old/b.txt', 's', 'blob-2', 3, 'd41d8cd98f00b204e9800998ecf8427e', 'image/png', NULL, NULL, 1796000000001, NULL)
                    """)
                try db.execute(sql: """
                    INSERT INTO apiKeys (id, hash, userId, scopes, role, personas, createdAt)
                    VALUES ('k1', 'h1', 'user-2', 'files:create,files:read', 'user', 'p1,p2', 1796000000002)
                    """)
            }
            let old = try #require(try store.pool.read { db in try ObjectRecord.lookup(db, key: "old/b.txt") })
            #expect(old.cacheControl == nil && old.deleteAt == nil && old.storedAt.millis == 1_796_000_000_001 && old.size == 3)
            let key = try #require(try store.pool.read { db in try KeyRecord.lookup(db, hash: "h1") })
            #expect(key.id == "k1" && key.userId == "user-2" && key.scopes == "files:create,files:read" && key.role == "user")
            #expect(key.personas == "p1,p2" && key.createdAt.millis == 1_796_000_000_002)
        }
    }

    @Test("a value the record cannot hold is an error, not a crash")
    func badValuesThrow() throws {
        try withStore { store in
            try store.pool.write { db in
                try session(full: true).insert(db)
                try db.execute(sql: "UPDATE sessions SET status = 'LOST' WHERE id = 'lf_full'")
            }
            #expect(throws: (any Error).self) { try store.pool.read { db in try SessionRecord.lookup(db, id: "lf_full") } }
        }
    }
}
