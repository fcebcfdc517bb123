import Foundation

/// Creates, lists and revokes API keys in a server's metadata store (a data directory's SQLite database or a
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

    /// Whether the store already holds a server's data (a data directory's database, or
    /// hoist's schema in PostgreSQL): listing or revoking keys must not make one anew.
    public func storeExists() async throws -> Bool {
        switch metadata {
        case .sqlite: return FileManager.default.fileExists(atPath: dataDirectory + "/hoist.sqlite")
        case .postgres(let url): return try await PostgresStore.holdsSchema(url: url)
        }
    }

    /// Every key, oldest first: its id, user, scopes, role, personas and when it was made
    /// (never the key: only its hash is stored).
    public func listKeys() async throws -> [KeyListing] {
        try await withStore { store in
            try await store.allKeys().map {
                KeyListing(id: $0.id, user: $0.userId, scopes: $0.scopes, role: $0.role, personas: $0.personas, createdAt: $0.createdAt)
            }
        }
    }

    /// Deletes a key, named by its id (`key_…`, as `listKeys` shows it) or by the key itself
    /// (`hk_…`); returns its id, nil when no key is so named. Servers refuse it from their
    /// next request on (they look keys up on every request); its user and files stay.
    public func revokeKey(_ idOrKey: String) async throws -> String? {
        try await withStore { store in try await store.deleteKey(id: idOrKey, hash: KeyDigest.of(idOrKey)) }
    }

    private func withStore<T: Sendable>(_ body: (any MetadataStore) async throws -> T) async throws -> T {
        let store = try await MetadataStores.open(metadata, dataDirectory: dataDirectory)
        do {
            let value = try await body(store)
            await store.close()
            return value
        } catch {
            await store.close()
            throw error
        }
    }
}

/// One key as `hoist keys list` shows it.
public struct KeyListing: Sendable, Equatable {
    public let id: String
    public let user: String
    /// Comma-separated.
    public let scopes: String
    public let role: String
    /// Comma-separated persona ids, the default first; empty for none.
    public let personas: String
    public let createdAt: Date
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
