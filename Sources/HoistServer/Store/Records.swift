import Foundation
import GRDB

/// A row of the SQLite store. Each maps its columns by name (`Records+Columns.swift`), and
/// dates are stored as integer milliseconds, exactly: a response built from memory and one
/// read back later (an idempotent complete) must print the same instant.
protocol StoreRecord: FetchableRecord, PersistableRecord {}

extension Date {
    /// Whole milliseconds since 1970; how the store keeps and compares dates.
    var millis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    init(millis: Int64) { self.init(timeIntervalSince1970: Double(millis) / 1000) }
}

/// An API key as stored: only the SHA-256 of the key itself is kept.
struct KeyRecord: StoreRecord, Sendable {
    static let databaseTableName = "apiKeys"
    var id: String
    var hash: String
    var userId: String
    /// Comma-separated scopes.
    var scopes: String
    var role: String
    /// Comma-separated persona ids, the default first.
    var personas: String
    var createdAt: Date
}

/// One upload session, in either dialect.
struct SessionRecord: StoreRecord, Sendable {
    static let databaseTableName = "sessions"
    var id: String
    var dialect: Dialect
    var userId: String
    /// The Lightfield purpose; `nil` for Luw.
    var purpose: String?
    /// The stored name (stamped for knowledge purposes).
    var filename: String
    /// Where the bytes land; shared by sessions that target the same name.
    var objectKey: String
    var mimeType: String
    /// The size declared at creation (Lightfield); `nil` for Luw.
    var sizeBytes: Int64?
    var status: SessionStatus
    var md5: String?
    var createdAt: Date
    var completedAt: Date?
    var expiresAt: Date
    var pid: Int64?
    /// The headers the PUT must carry, as `name: value` lines.
    var requiredHeaders: String

    var uploadHeaders: [(String, String)] {
        requiredHeaders.split(separator: "\n").compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), String(line[colon...].dropFirst()))
        }
    }
}

/// The life of a session.
enum SessionStatus: String, Codable, Sendable, DatabaseValueConvertible {
    case pending = "PENDING"
    case completed = "COMPLETED"
    case cancelled = "CANCELLED"
    case expired = "EXPIRED"
}

extension Dialect: DatabaseValueConvertible {}

/// The bytes visible at an object key.
struct ObjectRecord: StoreRecord, Sendable {
    static let databaseTableName = "objects"
    var objectKey: String
    var sessionId: String
    var blobId: String
    var size: Int64
    var md5: String
    var contentType: String
    var cacheControl: String?
    var expiresHeader: String?
    var storedAt: Date
    /// When the sweeper deletes it; `nil` keeps it.
    var deleteAt: Date?

    var identity: ObjectIdentity { ObjectIdentity(sessionId: sessionId, blobId: blobId, md5: md5, size: size) }

    /// Whether this record, found at a discard mark's key, is still that mark (its session
    /// and blob, due for deletion): the sweeper's list of marks may be older than a drop.
    func isStill(_ mark: ObjectRecord) -> Bool {
        sessionId == mark.sessionId && blobId == mark.blobId && deleteAt != nil
    }
}
