import GRDB

// Lookups by key on every request's path, through statements SQLite prepares once per
// connection. The query-interface forms (`fetchOne(db, key:)`, `filter(...)`) build and
// prepare their SQL on every call, which cost more than running it.

extension SessionRecord {
    /// The session `id`.
    static func lookup(_ db: Database, id: String) throws -> SessionRecord? {
        try fetchOne(db.cachedStatement(sql: "SELECT * FROM sessions WHERE id = ?"), arguments: [id])
    }
}

extension ObjectRecord {
    /// The object visible at `key`.
    static func lookup(_ db: Database, key: String) throws -> ObjectRecord? {
        try fetchOne(db.cachedStatement(sql: "SELECT * FROM objects WHERE objectKey = ?"), arguments: [key])
    }
}

extension KeyRecord {
    /// The key whose stored hash is `hash`.
    static func lookup(_ db: Database, hash: String) throws -> KeyRecord? {
        try fetchOne(db.cachedStatement(sql: "SELECT * FROM apiKeys WHERE hash = ?"), arguments: [hash])
    }
}
