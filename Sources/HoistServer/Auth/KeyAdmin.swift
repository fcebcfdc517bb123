import Foundation

/// Creates API keys in a server's metadata store (a data directory's SQLite database or a
/// PostgreSQL database); safe while servers run on it.
public struct KeyAdmin: Sendable {
    private let dataDirectory: String
    private let metadata: MetadataLocation

    /// `dataDirectory` is used only with `.sqlite`.
    public init(dataDirectory: String, metadata: MetadataLocation = .sqlite) {
        self.dataDirectory = dataDirectory
        self.metadata = metadata
    }

    /// The scopes a key may hold.
    public static let knownScopes: Set<String> = ["files:create", "files:read"]
    /// The roles a key may hold.
    public static let knownRoles: Set<String> = ["member", "admin"]

    /// Makes a new key and returns it; only its hash is stored, so this is the one time it
    /// is seen. `user` joins an existing user (or names a new one); `nil` makes a new user.
    public func createKey(scopes: [String], role: String = "member", personas: [Int64] = [], user: String? = nil)
        async throws -> String
    {
        if let unknown = scopes.first(where: { !Self.knownScopes.contains($0) }) { throw KeyAdminError.unknownScope(unknown) }
        guard Self.knownRoles.contains(role) else { throw KeyAdminError.unknownRole(role) }
        if let bad = personas.first(where: { $0 <= 0 }) { throw KeyAdminError.badPersona(bad) }
        let store = try await MetadataStores.open(metadata, dataDirectory: dataDirectory)
        let key = "hk_" + RandomID.make(length: 40)
        do {
            try await store.insertKey(key, user: user, scopes: scopes, role: role, personas: personas, now: Date())
        } catch {
            await store.close()
            throw error
        }
        await store.close()
        return key
    }
}

/// Why a key could not be created.
public struct KeyAdminError: Error, Equatable, CustomStringConvertible {
    private enum Code: Equatable { case unknownScope, unknownRole, badPersona, personaTaken }
    private let code: Code
    public let description: String
    /// Whether the command line itself was wrong (a scope, role or persona id no key can
    /// have), rather than the store's state (a persona another user holds).
    public var isUsage: Bool { code != .personaTaken }

    static func unknownScope(_ s: String) -> KeyAdminError {
        KeyAdminError(code: .unknownScope, description: "unknown scope \(s) (known: files:create, files:read)")
    }
    static func unknownRole(_ r: String) -> KeyAdminError {
        KeyAdminError(code: .unknownRole, description: "unknown role \(r) (known: member, admin)")
    }
    static func badPersona(_ p: Int64) -> KeyAdminError {
        KeyAdminError(code: .badPersona, description: "persona ids are positive integers, got \(p)")
    }
    static func personaTaken(_ p: Int64) -> KeyAdminError {
        KeyAdminError(code: .personaTaken, description: "persona \(p) belongs to another user")
    }
}
