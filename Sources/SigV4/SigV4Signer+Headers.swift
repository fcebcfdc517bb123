import Foundation

extension SigV4Signer {
    /// Signs `request` in the `Authorization` header, as of `date`.
    ///
    /// The result holds the headers to add to the request's own: `X-Amz-Date`,
    /// `X-Amz-Security-Token` with temporary credentials, `X-Amz-Content-Sha256` (see
    /// `Options.addsContentSHA256Header`) and `Authorization`; and the URL to send it to.
    /// Any of these four already among `request.headers` is replaced, so that signing
    /// again (a retry) gives a fresh signature rather than a request with two dates.
    public func sign(_ request: SigV4Request, date: Date) -> SigV4SignedHeaders {
        let timestamp = SigV4Timestamp(date)
        var replaced: Set<String> = ["authorization", "x-amz-date", "x-amz-security-token"]
        if options.addsContentSHA256Header { replaced.insert("x-amz-content-sha256") }

        var added = [SigV4Header("X-Amz-Date", timestamp.amzDate)]
        var addedAfterSigning: [SigV4Header] = []
        if let token = credentials.sessionToken {
            if options.signsSessionToken {
                added.append(SigV4Header("X-Amz-Security-Token", token))
            } else {
                addedAfterSigning.append(SigV4Header("X-Amz-Security-Token", token))
            }
        }
        if options.addsContentSHA256Header {
            added.append(SigV4Header("X-Amz-Content-Sha256", request.payload.canonicalValue))
        }

        var signed = request
        signed.headers.removeAll { replaced.contains(CanonicalRequest.trimAll($0.name).lowercased()) }
        signed.headers += added
        let canonical = canonicalRequest(signed)
        let signedHeaders = CanonicalRequest.headers(of: signed).signed
        let toSign = stringToSign(canonicalRequest: canonical, date: date)
        let signature = signature(stringToSign: toSign, date: date)
        let authorization =
            "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(credentialScope(date: date)), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return SigV4SignedHeaders(
            headers: added + addedAfterSigning + [SigV4Header("Authorization", authorization)],
            url: Self.url(request, query: request.queryItems),
            signedHeaders: signedHeaders, canonicalRequest: canonical, stringToSign: toSign, signature: signature)
    }
}

/// A request signed in its headers: what to add to it, where to send it, and the
/// intermediate strings (for tests and for diagnosing a `SignatureDoesNotMatch`).
public struct SigV4SignedHeaders: Sendable, Hashable {
    /// The headers to send besides the request's own (see `SigV4Signer.sign`).
    public let headers: [SigV4Header]
    /// Where to send the request: its path and query spelled exactly as signed.
    public let url: String
    /// The signed header names, `;`-separated (`content-md5;host;x-amz-date`).
    public let signedHeaders: String
    public let canonicalRequest: String
    public let stringToSign: String
    /// The signature, lower-case hex.
    public let signature: String
}
