import Crypto
import Foundation

/// Signs requests with AWS Signature Version 4 (`AWS4-HMAC-SHA256`), in the `Authorization`
/// header (`sign`) or in the query of a presigned URL (`presign`).
///
/// A value: the credentials, the region and service of the credential scope, and how the
/// service wants requests made canonical. The signing time is always passed in, never read
/// from a clock here, so that callers inject theirs and tests pin it.
///
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html>
public struct SigV4Signer: Sendable, Hashable {
    /// The algorithm name that starts every string to sign and `Authorization` header.
    public static let algorithm = "AWS4-HMAC-SHA256"

    /// Who signs; temporary credentials add `X-Amz-Security-Token`.
    public var credentials: SigV4Credentials
    /// `us-east-1`, `eu-west-1`... (MinIO and most S3 peers accept `us-east-1`).
    public var region: String
    /// `s3`, or another service's signing name.
    public var service: String
    /// The service's canonicalisation rules; `.s3` unless told otherwise.
    public var options: Options

    /// How a service wants requests made canonical. The defaults are S3's.
    public struct Options: Sendable, Hashable {
        /// Drop `.`, `..` and empty segments from the path before signing it. S3 signs the
        /// path as sent (a key may contain `//` or `..`); most other services normalise.
        public var normalizesPath: Bool
        /// Send and sign `X-Amz-Content-Sha256` with the payload hash on header-signed
        /// requests. S3 requires it; other services do without.
        public var addsContentSHA256Header: Bool
        /// Sign `X-Amz-Security-Token`. A few services (AWS IoT) want it added after
        /// signing, outside the signature; S3 and STS-issued credentials in general sign it.
        public var signsSessionToken: Bool

        public init(normalizesPath: Bool = false, addsContentSHA256Header: Bool = true, signsSessionToken: Bool = true) {
            self.normalizesPath = normalizesPath
            self.addsContentSHA256Header = addsContentSHA256Header
            self.signsSessionToken = signsSessionToken
        }

        /// S3's rules: the path as sent, `X-Amz-Content-Sha256` on every header-signed request.
        public static let s3 = Options()
    }

    public init(credentials: SigV4Credentials, region: String, service: String = "s3", options: Options = .s3) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.options = options
    }

    /// The canonical request of `request` exactly as described: every header it carries
    /// (but hop-by-hop ones) plus `Host`, its query, its payload. `sign` and `presign` add
    /// their own headers or query items first and call this.
    public func canonicalRequest(_ request: SigV4Request) -> String {
        CanonicalRequest.render(request, normalizingPath: options.normalizesPath)
    }

    /// `20150830/us-east-1/s3/aws4_request`: what the signature is valid for.
    public func credentialScope(date: Date) -> String {
        "\(SigV4Timestamp(date).dateStamp)/\(region)/\(service)/aws4_request"
    }

    /// The string to sign: algorithm, time, scope and the canonical request's SHA-256.
    public func stringToSign(canonicalRequest: String, date: Date) -> String {
        [
            Self.algorithm, SigV4Timestamp(date).amzDate, credentialScope(date: date),
            Hex.encode(SHA256.hash(data: Array(canonicalRequest.utf8))),
        ].joined(separator: "\n")
    }

    /// The signature (lower-case hex) of `stringToSign`, with the key derived from the
    /// secret for this day, region and service.
    public func signature(stringToSign: String, date: Date) -> String {
        Hex.encode(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: signingKey(date: date)))
    }

    private func signingKey(date: Date) -> SymmetricKey {
        func hmac(_ key: SymmetricKey, _ text: String) -> SymmetricKey {
            SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: key))
        }
        let secret = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8))
        let day = hmac(secret, SigV4Timestamp(date).dateStamp)
        return hmac(hmac(hmac(day, region), service), "aws4_request")
    }

    /// The URL a request is sent to: its path and query encoded exactly as signed.
    static func url(_ request: SigV4Request, query: [SigV4QueryItem]) -> String {
        let path = CanonicalRequest.urlPath(request.path)
        let encodedQuery = CanonicalRequest.urlQuery(query)
        return "\(request.scheme)://\(request.host)\(path)" + (encodedQuery.isEmpty ? "" : "?" + encodedQuery)
    }
}
