/// A named way to reach an upload service: dialect, endpoint, where the key lives, options.
///
/// A profile never holds the key itself, only the name of the environment variable
/// that does, so profiles can be printed and logged safely.
public struct Profile: Sendable, Equatable, Codable {
    public var name: String
    public var dialect: Dialect
    /// Base URL of the API, e.g. `https://api.lightfield.app`.
    public var endpoint: String
    /// Environment variable holding the API key.
    public var apiKeyEnv: String?
    /// Lightfield: the purpose of created files (`knowledge_user`, `general`...).
    public var purpose: String?
    /// Luw: the persona id.
    public var pid: Int?
    /// Luw: upload with the `x12tmp-` prefix (deleted after 12 hours).
    public var temporary: Bool

    public init(
        name: String, dialect: Dialect, endpoint: String, apiKeyEnv: String?,
        purpose: String? = nil, pid: Int? = nil, temporary: Bool = false
    ) {
        self.name = name
        self.dialect = dialect
        self.endpoint = endpoint
        self.apiKeyEnv = apiKeyEnv
        self.purpose = purpose
        self.pid = pid
        self.temporary = temporary
    }

    /// The Lightfield purpose actually used: the profile's, or `general`.
    public var effectivePurpose: String { purpose ?? "general" }

    /// Reads the key from `environment`; fails when the variable is unset or empty.
    public func resolveKey(environment: [String: String]) throws(EngineError) -> APIKey {
        guard let variable = apiKeyEnv else {
            throw .profile("profile \(name) names no api_key_env")
        }
        guard let value = environment[variable], !value.isEmpty else {
            throw .missingKey(variable: variable)
        }
        return APIKey(value)
    }
}

/// An API key. Its description is redacted so it never reaches a log or an error.
public struct APIKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret itself; only the HTTP layer reads it.
    public let secret: String
    public init(_ secret: String) { self.secret = secret }
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}
