import GRDB

// The hot writes of the SQLite store, as statements prepared once per connection. GRDB's
// persistence methods (`insert`, `update`, `save`) fill a container of the record's
// columns and build the statement's SQL from it on every call, then look the statement up
// by that text: about 6 % of the server's CPU in a 2,000 × 4 KiB run (issue 12, perf),
// more than the SQLite work they ask for. These write the same columns with the same
// values (`encode(to:)`, which stays for the rare paths, lists them too).

extension SessionRecord {
    private static let insertRow = """
        INSERT INTO sessions (id, dialect, userId, purpose, filename, objectKey, mimeType, sizeBytes, status, md5,
          createdAt, completedAt, expiresAt, pid, requiredHeaders)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
        """
    private static let updateRow = """
        UPDATE sessions SET dialect = ?2, userId = ?3, purpose = ?4, filename = ?5, objectKey = ?6, mimeType = ?7,
          sizeBytes = ?8, status = ?9, md5 = ?10, createdAt = ?11, completedAt = ?12, expiresAt = ?13, pid = ?14,
          requiredHeaders = ?15
        WHERE id = ?1
        """

    /// Every column, in the order of the statements' numbered parameters.
    private var row: StatementArguments {
        [id, dialect, userId, purpose, filename, objectKey, mimeType, sizeBytes, status, md5,
         createdAt.millis, completedAt?.millis, expiresAt.millis, pid, requiredHeaders]
    }

    /// Inserts this session (a duplicate id fails, as `insert` does).
    func insertRow(_ db: Database) throws {
        try db.cachedStatement(sql: Self.insertRow).execute(arguments: row)
    }

    /// Writes every column of the stored session with this id; throws
    /// `RecordError.recordNotFound` when there is none, as `update` does.
    func updateRow(_ db: Database) throws {
        try db.cachedStatement(sql: Self.updateRow).execute(arguments: row)
        guard db.changesCount > 0 else {
            throw RecordError.recordNotFound(databaseTableName: Self.databaseTableName, key: ["id": id.databaseValue])
        }
    }
}

extension ObjectRecord {
    /// Inserts, or replaces every column of the object at the same key (what `save` did in
    /// two statements, an UPDATE and then an INSERT when it changed nothing).
    private static let upsertRow = """
        INSERT INTO objects (objectKey, sessionId, blobId, size, md5, contentType, cacheControl, expiresHeader, storedAt, deleteAt)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
        ON CONFLICT (objectKey) DO UPDATE SET sessionId = ?2, blobId = ?3, size = ?4, md5 = ?5, contentType = ?6,
          cacheControl = ?7, expiresHeader = ?8, storedAt = ?9, deleteAt = ?10
        """

    private var row: StatementArguments {
        [objectKey, sessionId, blobId, size, md5, contentType, cacheControl, expiresHeader, storedAt.millis, deleteAt?.millis]
    }

    /// Stores this object at its key, over whatever was there.
    func saveRow(_ db: Database) throws {
        try db.cachedStatement(sql: Self.upsertRow).execute(arguments: row)
    }
}
