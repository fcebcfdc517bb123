import Foundation

extension SigV4Signer {
    /// The longest validity SigV4 allows a presigned URL: seven days.
    public static let maximumPresignedExpiry: Duration = .seconds(604_800)

    /// A presigned URL for `request`, valid from `date` for `expiresIn` (whole seconds,
    /// 1 second to 7 days), signed in its query.
    ///
    /// The URL carries the request's query items in their order, then `X-Amz-Algorithm`,
    /// `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders`,
    /// `X-Amz-Security-Token` and `X-Amz-Signature`, the order botocore uses (any of them
    /// already in the request is replaced). The request's headers besides `Host` are
    /// signed, so whoever uses the URL must send them with the same values (S3's
    /// `If-None-Match: *`, a `Content-Type`). For S3 the payload is `.unsigned`.
    public func presign(_ request: SigV4Request, expiresIn: Duration, date: Date) throws(SigV4Error) -> SigV4PresignedURL {
        let seconds = expiresIn.components.seconds
        guard seconds >= 1, expiresIn <= Self.maximumPresignedExpiry else { throw .expiryOutOfRange(expiresIn) }
        let timestamp = SigV4Timestamp(date)

        let ownItems = request.queryItems.filter { !SigV4PresignedURL.parameterNames.contains($0.name.lowercased()) }
        var authItems = [
            SigV4QueryItem("X-Amz-Algorithm", Self.algorithm),
            SigV4QueryItem("X-Amz-Credential", "\(credentials.accessKeyID)/\(credentialScope(date: date))"),
            SigV4QueryItem("X-Amz-Date", timestamp.amzDate),
            SigV4QueryItem("X-Amz-Expires", String(seconds)),
            SigV4QueryItem("X-Amz-SignedHeaders", CanonicalRequest.headers(of: request).signed),
        ]
        var itemsAfterSigning: [SigV4QueryItem] = []
        if let token = credentials.sessionToken {
            if options.signsSessionToken {
                authItems.append(SigV4QueryItem("X-Amz-Security-Token", token))
            } else {
                itemsAfterSigning.append(SigV4QueryItem("X-Amz-Security-Token", token))
            }
        }

        var signed = request
        signed.queryItems = ownItems + authItems
        let canonical = canonicalRequest(signed)
        let toSign = stringToSign(canonicalRequest: canonical, date: date)
        let signature = signature(stringToSign: toSign, date: date)
        let query = ownItems + authItems + itemsAfterSigning + [SigV4QueryItem("X-Amz-Signature", signature)]
        // X-Amz-Date drops the fraction of a second, and the server counts from it.
        let signedAt = Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
        return SigV4PresignedURL(
            url: Self.url(request, query: query), expiry: signedAt.addingTimeInterval(TimeInterval(seconds)),
            canonicalRequest: canonical, stringToSign: toSign, signature: signature)
    }
}
