import Foundation
import PostgresNIO

// The records read from PostgreSQL rows. Each select names its columns in `columns`' order,
// so a row is read by position.

extension SessionRecord {
    static let postgresColumns = """
        id, dialect, user_id, purpose, filename, object_key, mime_type, size_bytes, status, md5, \
        created_at, completed_at, expires_at, pid, required_headers
        """

    init(postgres row: PostgresRow) throws {
        let cells = row.makeRandomAccess()
        guard let dialect = Dialect(rawValue: try cells[1].decode(String.self)),
              let status = SessionStatus(rawValue: try cells[8].decode(String.self))
        else { throw PostgresStoreError("a session row has an unknown dialect or status") }
        self.init(
            id: try cells[0].decode(String.self), dialect: dialect, userId: try cells[2].decode(String.self),
            purpose: try cells[3].decode(String?.self), filename: try cells[4].decode(String.self),
            objectKey: try cells[5].decode(String.self), mimeType: try cells[6].decode(String.self),
            sizeBytes: try cells[7].decode(Int64?.self), status: status, md5: try cells[9].decode(String?.self),
            createdAt: Date(millis: try cells[10].decode(Int64.self)),
            completedAt: try cells[11].decode(Int64?.self).map(Date.init(millis:)),
            expiresAt: Date(millis: try cells[12].decode(Int64.self)), pid: try cells[13].decode(Int64?.self),
            requiredHeaders: try cells[14].decode(String.self))
    }
}

extension ObjectRecord {
    static let postgresColumns = """
        object_key, session_id, blob_id, size, md5, content_type, cache_control, expires_header, stored_at, delete_at
        """

    init(postgres row: PostgresRow) throws {
        let cells = row.makeRandomAccess()
        self.init(
            objectKey: try cells[0].decode(String.self), sessionId: try cells[1].decode(String.self),
            blobId: try cells[2].decode(String.self), size: try cells[3].decode(Int64.self),
            md5: try cells[4].decode(String.self), contentType: try cells[5].decode(String.self),
            cacheControl: try cells[6].decode(String?.self), expiresHeader: try cells[7].decode(String?.self),
            storedAt: Date(millis: try cells[8].decode(Int64.self)),
            deleteAt: try cells[9].decode(Int64?.self).map(Date.init(millis:)))
    }
}

extension KeyRecord {
    static let postgresColumns = "id, hash, user_id, scopes, role, personas, created_at"

    init(postgres row: PostgresRow) throws {
        let cells = row.makeRandomAccess()
        self.init(
            id: try cells[0].decode(String.self), hash: try cells[1].decode(String.self),
            userId: try cells[2].decode(String.self), scopes: try cells[3].decode(String.self),
            role: try cells[4].decode(String.self), personas: try cells[5].decode(String.self),
            createdAt: Date(millis: try cells[6].decode(Int64.self)))
    }
}

extension PostgresConnection {
    /// The rows of `query`, each made into a record.
    func records<T>(_ query: PostgresQuery, logger: Logger, _ make: (PostgresRow) throws -> T) async throws -> [T] {
        var out: [T] = []
        for try await row in try await self.query(query, logger: logger) { out.append(try make(row)) }
        return out
    }
}

extension PostgresClient {
    /// The rows of `query`, each made into a record, on a connection leased for the read.
    func records<T: Sendable>(_ query: PostgresQuery, logger: Logger, _ make: @Sendable (PostgresRow) throws -> T) async throws -> [T] {
        try await withConnection { connection in try await connection.records(query, logger: logger, make) }
    }
}
