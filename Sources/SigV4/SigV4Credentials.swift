/// The AWS credentials a request is signed with: an access key id, its secret, and the
/// session token that comes with temporary (STS) credentials.
///
/// `description` and the mirror redact the secret and the token, so that a credential
/// printed by accident, interpolated into a log line or `dump`ed does not leak.
public struct SigV4Credentials: Sendable, Hashable, CustomStringConvertible, CustomReflectable {
    /// The access key id (`AKIA...` or `ASIA...`); public, it appears in every signature.
    public var accessKeyID: String
    /// The secret access key. Never sent, only used to derive the signing key.
    public var secretAccessKey: String
    /// The session token of temporary credentials, sent as `X-Amz-Security-Token`.
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String {
        "SigV4Credentials(accessKeyID: \(accessKeyID), secretAccessKey: <redacted>"
            + (sessionToken == nil ? ")" : ", sessionToken: <redacted>)")
    }

    public var customMirror: Mirror {
        Mirror(self, children: [
            "accessKeyID": accessKeyID,
            "secretAccessKey": "<redacted>",
            "sessionToken": sessionToken == nil ? "nil" : "<redacted>",
        ])
    }
}
