import Foundation
import GRDB

// Rows read and written column by column. GRDB's Codable path (a keyed decoder and
// encoder per record, dates through a strategy closure) was about 6 % of the server's samples
// in a small-file run (issue 12); these do the same by name, with the same millisecond
// dates, and a value a record cannot hold throws (`decode`, never the trapping subscript).

extension SessionRecord {
    init(row: Row) throws {
        id = try row.decode(forColumn: "id")
        dialect = try row.decode(forColumn: "dialect")
        userId = try row.decode(forColumn: "userId")
        purpose = try row.decode(forColumn: "purpose")
        filename = try row.decode(forColumn: "filename")
        objectKey = try row.decode(forColumn: "objectKey")
        mimeType = try row.decode(forColumn: "mimeType")
        sizeBytes = try row.decode(forColumn: "sizeBytes")
        status = try row.decode(forColumn: "status")
        md5 = try row.decode(forColumn: "md5")
        createdAt = Date(millis: try row.decode(forColumn: "createdAt"))
        completedAt = try row.decode(Int64?.self, forColumn: "completedAt").map(Date.init(millis:))
        expiresAt = Date(millis: try row.decode(forColumn: "expiresAt"))
        pid = try row.decode(forColumn: "pid")
        requiredHeaders = try row.decode(forColumn: "requiredHeaders")
    }

    func encode(to container: inout PersistenceContainer) throws {
        container["id"] = id
        container["dialect"] = dialect
        container["userId"] = userId
        container["purpose"] = purpose
        container["filename"] = filename
        container["objectKey"] = objectKey
        container["mimeType"] = mimeType
        container["sizeBytes"] = sizeBytes
        container["status"] = status
        container["md5"] = md5
        container["createdAt"] = createdAt.millis
        container["completedAt"] = completedAt?.millis
        container["expiresAt"] = expiresAt.millis
        container["pid"] = pid
        container["requiredHeaders"] = requiredHeaders
    }
}

extension ObjectRecord {
    init(row: Row) throws {
        objectKey = try row.decode(forColumn: "objectKey")
        sessionId = try row.decode(forColumn: "sessionId")
        blobId = try row.decode(forColumn: "blobId")
        size = try row.decode(forColumn: "size")
        md5 = try row.decode(forColumn: "md5")
        contentType = try row.decode(forColumn: "contentType")
        cacheControl = try row.decode(forColumn: "cacheControl")
        expiresHeader = try row.decode(forColumn: "expiresHeader")
        storedAt = Date(millis: try row.decode(forColumn: "storedAt"))
        deleteAt = try row.decode(Int64?.self, forColumn: "deleteAt").map(Date.init(millis:))
    }

    func encode(to container: inout PersistenceContainer) throws {
        container["objectKey"] = objectKey
        container["sessionId"] = sessionId
        container["blobId"] = blobId
        container["size"] = size
        container["md5"] = md5
        container["contentType"] = contentType
        container["cacheControl"] = cacheControl
        container["expiresHeader"] = expiresHeader
        container["storedAt"] = storedAt.millis
        container["deleteAt"] = deleteAt?.millis
    }
}

extension KeyRecord {
    init(row: Row) throws {
        id = try row.decode(forColumn: "id")
        hash = try row.decode(forColumn: "hash")
        userId = try row.decode(forColumn: "userId")
        scopes = try row.decode(forColumn: "scopes")
        role = try row.decode(forColumn: "role")
        personas = try row.decode(forColumn: "personas")
        createdAt = Date(millis: try row.decode(forColumn: "createdAt"))
    }

    func encode(to container: inout PersistenceContainer) throws {
        container["id"] = id
        container["hash"] = hash
        container["userId"] = userId
        container["scopes"] = scopes
        container["role"] = role
        container["personas"] = personas
        container["createdAt"] = createdAt.millis
    }
}
