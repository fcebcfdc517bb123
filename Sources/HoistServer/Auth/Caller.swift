import Foundation
import Hummingbird

/// The owner of the API key a request carries.
struct Caller: Sendable {
    let userId: String
    let scopes: Set<String>
    let isAdmin: Bool
    /// The key's personas, the default first.
    let personas: [Int64]

    static let create = "files:create"
    static let read = "files:read"

    /// Requires `scope`; API.md checks scopes before any lookup.
    func require(_ scope: String) throws(APIError) {
        guard scopes.contains(scope) else { throw .missingScope(scope) }
    }
}

extension MetadataStore {
    /// The caller behind `Authorization: Bearer <key>`, or 401.
    func authenticate(_ request: Request) async throws -> Caller {
        guard let header = request.headers[.authorization] else { throw APIError.unauthorized() }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw APIError.unauthorized("the Authorization header must be \"Bearer <key>\"", bearerError: "invalid_request")
        }
        let key = parts[1].trimmingWhitespace()
        guard let record = try await keyRecord(for: key) else { throw APIError.unauthorized(bearerError: "invalid_token") }
        return Caller(
            userId: record.userId,
            scopes: Set(record.scopes.split(separator: ",").map(String.init)),
            isAdmin: record.role == "admin",
            personas: record.personas.split(separator: ",").compactMap { Int64($0) })
    }
}
