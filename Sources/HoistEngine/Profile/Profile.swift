import Crypto
import Foundation
import SigV4

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
    /// S3: the bucket, its region, the key prefix and the addressing (see ``S3Settings``).
    public var s3: S3Settings?
    /// Never replace an object that exists (S3 `If-None-Match: *`; a 412 is "already exists").
    public var noClobber = false

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

    /// The settings this profile holds that `other` has no use for, by their config.toml
    /// keys: a `--dialect` over the profile would otherwise drop them unsaid (a Luw upload
    /// without the profile's `no_clobber` replaces objects).
    public func settings(foreignTo other: Dialect) -> [String] {
        let held: [(key: String, isSet: Bool)] = [
            ("api_key_env", apiKeyEnv != nil), ("purpose", purpose != nil), ("pid", pid != nil), ("temporary", temporary),
            ("bucket", s3 != nil), ("no_clobber", noClobber),
        ]
        return held.filter { $0.isSet && ConfigKeys.dialects[$0.key].map { !$0.contains(other) } ?? false }.map(\.key)
    }

    /// The Lightfield purpose actually used: the profile's, or `general`.
    public var effectivePurpose: String { purpose ?? "general" }

    /// Reads the key from `environment`; fails when the variable is unset or empty. In the
    /// s3 dialect the key is the AWS credentials, found the way the AWS tools find them.
    public func resolveKey(environment: [String: String]) throws(EngineError) -> APIKey {
        if dialect == .s3 {
            do {
                return APIKey(signing: try AWSCredentialsProvider(chain: AWSCredentialChain(environment: environment)))
            } catch {
                throw .missingCredentials(error.description)
            }
        }
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
    /// Where the s3 dialect's credentials come from: read at each signing, so that
    /// credentials renewed in the AWS files are used as soon as they are there.
    private let provider: AWSCredentialsProvider?
    public init(_ secret: String) {
        self.secret = secret
        provider = nil
    }
    public init(signing credentials: SigV4Credentials) {
        self.init(signing: AWSCredentialsProvider(fixed: credentials))
    }
    /// The s3 dialect's key: the credentials `provider` holds at each signing.
    public init(signing provider: AWSCredentialsProvider) {
        secret = ""
        self.provider = provider
    }

    /// The s3 dialect's credentials as of now, which sign each request instead of a bearer secret.
    public var signing: SigV4Credentials? { provider?.current }

    /// The same secret, and the same credentials: equal fixed ones, or the very provider
    /// that follows the files (two looks at the files could differ for no fault of the key).
    public static func == (lhs: APIKey, rhs: APIKey) -> Bool {
        guard lhs.secret == rhs.secret else { return false }
        switch (lhs.provider, rhs.provider) {
        case (nil, nil): return true
        case (let left?, let right?): return left === right || (left.fixed != nil && left.fixed == right.fixed)
        default: return false
        }
    }
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }

    /// The first 8 hex digits of the secret's SHA-256: enough to tell two keys apart in
    /// the journal, too little to learn anything of the key.
    public var fingerprint: String {
        let material = signing.map { $0.accessKeyID + ":" + $0.secretAccessKey } ?? secret
        return Hex.encode(SHA256.hash(data: Data(material.utf8)).prefix(4))
    }
}
