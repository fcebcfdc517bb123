import Foundation
import GRDB

extension SQLiteStore {
    func insertKey(_ key: String, user: String?, scopes: [String], role: String, personas: [Int64], now: Date) async throws {
        let userId = user ?? "user_" + RandomID.make(length: 12)
        try await pool.write { db in
            for pid in personas {
                if let owner = try String.fetchOne(db, sql: "SELECT userId FROM personas WHERE pid = ?", arguments: [pid]),
                   owner != userId {
                    throw KeyAdminError.personaTaken(pid)
                }
                try db.execute(sql: "INSERT OR IGNORE INTO personas (pid, userId) VALUES (?, ?)", arguments: [pid, userId])
            }
            try KeyRecord(
                id: "key_" + RandomID.make(length: 12), hash: KeyDigest.of(key), userId: userId,
                scopes: scopes.joined(separator: ","), role: role,
                personas: personas.map(String.init).joined(separator: ","), createdAt: now
            ).insert(db)
        }
    }

    func keyRecord(for key: String) async throws -> KeyRecord? {
        let digest = KeyDigest.of(key)
        return try pointRead { db in try KeyRecord.lookup(db, hash: digest) }
    }

    func allKeys() async throws -> [KeyRecord] {
        try await pool.read { db in try KeyRecord.fetchAll(db, sql: "SELECT * FROM apiKeys ORDER BY createdAt, id") }
    }

    func deleteKey(id: String, hash: String) async throws -> String? {
        try await pool.write { db in
            try String.fetchOne(db, sql: "DELETE FROM apiKeys WHERE id = ? OR hash = ? RETURNING id", arguments: [id, hash])
        }
    }

    func personaOwner(_ pid: Int64) async throws -> String? {
        try pointRead { db in try String.fetchOne(db, sql: "SELECT userId FROM personas WHERE pid = ?", arguments: [pid]) }
    }
}
