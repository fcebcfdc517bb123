import Crypto
import Foundation
import GRDB

extension SQLiteStore {
    /// Stores a new key (hashed) for `user`, creating the user when it is new; without a
    /// user the key becomes a user of its own. Personas must not belong to another user.
    func insertKey(_ key: String, user: String?, scopes: [String], role: String, personas: [Int64], now: Date) throws {
        let userId = user ?? "user_" + RandomID.make(length: 12)
        try pool.write { db in
            for pid in personas {
                if let owner = try String.fetchOne(db, sql: "SELECT userId FROM personas WHERE pid = ?", arguments: [pid]),
                   owner != userId {
                    throw KeyAdminError.personaTaken(pid)
                }
                try db.execute(sql: "INSERT OR IGNORE INTO personas (pid, userId) VALUES (?, ?)", arguments: [pid, userId])
            }
            try KeyRecord(
                id: "key_" + RandomID.make(length: 12), hash: Self.hash(key: key), userId: userId,
                scopes: scopes.joined(separator: ","), role: role,
                personas: personas.map(String.init).joined(separator: ","), createdAt: now
            ).insert(db)
        }
    }

    /// The key whose SHA-256 is that of `key`, if any.
    func keyRecord(for key: String) async throws -> KeyRecord? {
        let digest = Self.hash(key: key)
        return try await pool.read { db in
            try KeyRecord.lookup(db, hash: digest)
        }
    }

    /// The user a persona belongs to.
    func personaOwner(_ pid: Int64) async throws -> String? {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT userId FROM personas WHERE pid = ?", arguments: [pid])
        }
    }

    /// Keys are long random strings, so one round of SHA-256 is as safe as a slow hash and
    /// lets a key be found by its digest.
    static func hash(key: String) -> String {
        Hex.encode(SHA256.hash(data: Data(key.utf8)))
    }
}

/// Random identifiers for keys, users and sessions.
enum RandomID {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")

    static func make(length: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int(rng.next(upperBound: UInt32(alphabet.count)))] })
    }
}
