import Foundation
import PostgresNIO

extension PostgresStore {
    func insertKey(_ key: String, user: String?, scopes: [String], role: String, personas: [Int64], now: Date) async throws {
        let userId = user ?? "user_" + RandomID.make(length: 12)
        try await transaction { connection in
            for pid in personas {
                // Claimed first, then read back: of two keys claiming a persona at once for
                // different users, exactly one gets it.
                try await connection.query(
                    "INSERT INTO personas (pid, user_id) VALUES (\(pid), \(userId)) ON CONFLICT (pid) DO NOTHING", logger: logger)
                for try await owner in try await connection.query(
                    "SELECT user_id FROM personas WHERE pid = \(pid)", logger: logger
                ).decode(String.self) where owner != userId {
                    throw KeyAdminError.personaTaken(pid)
                }
            }
            try await connection.query("""
                INSERT INTO api_keys (\(unescaped: KeyRecord.postgresColumns)) VALUES (
                \("key_" + RandomID.make(length: 12)), \(KeyDigest.of(key)), \(userId), \(scopes.joined(separator: ",")),
                \(role), \(personas.map(String.init).joined(separator: ",")), \(now.millis))
                """, logger: logger)
        }
    }

    func keyRecord(for key: String) async throws -> KeyRecord? {
        try await records(
            "SELECT \(unescaped: KeyRecord.postgresColumns) FROM api_keys WHERE hash = \(KeyDigest.of(key))",
            KeyRecord.init(postgres:)
        ).first
    }

    func allKeys() async throws -> [KeyRecord] {
        try await records("SELECT \(unescaped: KeyRecord.postgresColumns) FROM api_keys ORDER BY created_at, id", KeyRecord.init(postgres:))
    }

    func deleteKey(id: String, hash: String) async throws -> String? {
        try await transaction { connection in
            var deleted: String?
            for try await found in try await connection.query(
                "DELETE FROM api_keys WHERE id = \(id) OR hash = \(hash) RETURNING id", logger: self.logger
            ).decode(String.self) {
                deleted = found
            }
            return deleted
        }
    }

    func personaOwner(_ pid: Int64) async throws -> String? {
        try await records("SELECT user_id FROM personas WHERE pid = \(pid)") { try $0.decode(String.self) }.first
    }
}
