import SigV4
import Foundation
import NIOCore
import NIOHTTP1

/// The s3 dialect: objects straight into an S3-compatible bucket, every request signed with
/// SigV4 from the caller's AWS credentials.
///
/// A file up to the multipart threshold is one PUT with `Content-MD5`; a larger one is a
/// multipart upload whose parts the engine sends in parallel. The "session" is the object
/// key, plus the upload id for a multipart upload; nothing expires but the signatures,
/// which are made again for every attempt.
struct S3Dialect: UploadDialect {
    let profile: Profile
    let settings: S3Settings
    let location: S3Location

    init(profile: Profile) {
        self.profile = profile
        settings = profile.s3 ?? S3Settings(bucket: "")
        location = S3Location(profile: profile)
    }

    /// The key: the prefix, then the path as the user named it (see `UploadEngine.add`).
    func requestedName(for localName: String) -> String { settings.prefix + localName }

    /// A bucket takes any object, empty ones included, up to S3's 5 TiB.
    func refusal(name: String, size: Int64, mimeType: String, rules: UploadRules) -> EngineError? {
        size > UploadRules.s3MaximumObject ? .tooLarge(size: size, limit: UploadRules.s3MaximumObject, purpose: "s3") : nil
    }

    var optionsSummary: String {
        "bucket \(settings.bucket)" + (settings.prefix.isEmpty ? "" : ", prefix \(settings.prefix)") + (profile.noClobber ? ", no-clobber" : "")
    }

    var callHeaders: [(String, String)] { [] }

    func createSession(name: String, size: Int64, mimeType: String, via api: DialectTransport) async throws(EngineError) -> RemoteSession {
        let call = S3Call(location: location, transport: api)
        guard size > settings.multipartThreshold else {
            return RemoteSession(id: name, filename: name, uploadURL: location.url(of: name),
                                 uploadHeaders: [.init("Content-Type", mimeType)], expiresAt: nil)
        }
        // A multipart upload only meets If-None-Match when it completes; asking first
        // spares sending every part of a file that could never be stored.
        if profile.noClobber, try await exists(name, call: call) { throw .alreadyExists(name) }
        let answer = try await call.send("POST", key: name, query: [SigV4QueryItem("uploads")], headers: [SigV4Header("Content-Type", mimeType)])
        let root = try S3XMLElement.parse(Data(answer.body.readableBytesView), expecting: "InitiateMultipartUploadResult")
        guard let uploadID = root.value("UploadId"), !uploadID.isEmpty else {
            throw .protocolViolation("CreateMultipartUpload answered without an UploadId")
        }
        return RemoteSession(id: name, filename: name, uploadURL: location.url(of: name), uploadHeaders: [], expiresAt: nil,
                             multipart: .init(uploadID: uploadID, partSize: PartPlan.partSize(for: size)))
    }

    var sendsContentMD5: Bool { true }

    var checksPutETag: Bool { true }

    func completeCalls(_ session: RemoteSession) -> Bool { session.multipart != nil }

    /// Asked after a no-clobber PUT or complete was refused (412): whether the object there
    /// is this file's bytes, as when the first attempt stored them and its answer was lost.
    /// Any answer but an ETag that is this MD5 (a 403 without s3:GetObject, a KMS object), or
    /// for a multipart session this multipart ETag, says no; a failure worth another try
    /// (5xx, network) is thrown, to be retried as such.
    func holds(_ session: RemoteSession, md5: String, via api: DialectTransport) async throws(EngineError) -> Bool {
        do {
            let head = try await S3Call(location: location, transport: api).send("HEAD", key: session.id)
            guard session.multipart != nil else { return S3ETag.md5(in: head.headers) == md5 }
            // The MD5 of the parts' MD5s and their count: only these parts of these bytes make it.
            return head.headers.first(name: "ETag").map { S3ETag.bare($0).lowercased() } == md5.lowercased()
        } catch where error.isTransient {
            throw error
        } catch {
            return false
        }
    }

    /// The PUT's answer gave no MD5 (no ETag, or a multipart-shaped one): the object's HEAD
    /// may (a proxy dropped the header), and where it does not either (a store that gives
    /// no MD5 for an ETag) the object is read back and hashed: a store that ignores
    /// `Content-MD5` must not keep other bytes unseen. An object the store says it encrypts
    /// has no MD5 to ask for. A 404 right after a 200 PUT says the store did not keep it,
    /// which another PUT may cure; a 403 (no s3:GetObject) cannot tell.
    func storedMD5(of session: RemoteSession, via api: DialectTransport) async throws(EngineError) -> String? {
        do {
            let call = S3Call(location: location, transport: api)
            let head = try await call.send("HEAD", key: session.id)
            if let md5 = S3ETag.md5(in: head.headers) { return md5 }
            if S3ETag.encrypted(head.headers) { return nil }
            return try await call.md5(ofObject: session.id)
        } catch where error.status == 404 {
            throw .network("the store answered the PUT of \(session.id) but does not show the object")
        } catch where error.isTransient {
            throw error
        } catch {
            return nil
        }
    }

    /// The object a no-clobber create met (its HEAD): the next run of the same upload meets
    /// its own object there, which the runner then tells by size and multipart ETag.
    func storedObject(named name: String, via api: DialectTransport) async throws(EngineError) -> StoredObject? {
        do {
            let head = try await S3Call(location: location, transport: api).send("HEAD", key: name)
            guard let etag = head.headers.first(name: "ETag").map(S3ETag.bare), let size = head.headers.first(name: "Content-Length").flatMap({ Int64($0) })
            else { return nil }
            return StoredObject(session: RemoteSession(id: name, filename: name, uploadURL: location.url(of: name), uploadHeaders: [], expiresAt: nil),
                                size: size, etag: etag.lowercased())
        } catch where error.isTransient {
            throw error
        } catch {
            return nil
        }
    }

    func putTarget(for session: RemoteSession, part: Int?, contentMD5: String?, via api: DialectTransport) throws(EngineError) -> PutTarget {
        let call = S3Call(location: location, transport: api)
        var headers: [SigV4Header] = []
        if let contentMD5 { headers.append(SigV4Header("Content-MD5", contentMD5)) }
        if let part, let multipart = session.multipart {
            let query = [SigV4QueryItem("partNumber", String(part)), SigV4QueryItem("uploadId", multipart.uploadID)]
            return try call.putTarget(key: session.id, query: query, headers: headers)
        }
        headers += session.uploadHeaders.map { SigV4Header($0.name, $0.value) }
        if profile.noClobber { headers.append(SigV4Header("If-None-Match", "*")) }
        return try call.putTarget(key: session.id, query: [], headers: headers)
    }

    func listParts(of session: RemoteSession, via api: DialectTransport) async throws(EngineError) -> [UploadedPart] {
        guard let multipart = session.multipart else { return [] }
        let call = S3Call(location: location, transport: api)
        var parts: [UploadedPart] = []
        var marker: String?
        repeat {
            var query = [SigV4QueryItem("uploadId", multipart.uploadID)]
            if let marker { query.append(SigV4QueryItem("part-number-marker", marker)) }
            let answer = try await call.send("GET", key: session.id, query: query)
            let root = try S3XMLElement.parse(Data(answer.body.readableBytesView), expecting: "ListPartsResult", alias: "ListPartsResponse")
            for part in root.all("Part") {
                guard let number = part.value("PartNumber").flatMap(Int.init), let etag = part.value("ETag"),
                    let size = part.value("Size").flatMap(Int64.init)
                else { throw .protocolViolation("ListParts: a part without PartNumber, ETag or Size") }
                parts.append(UploadedPart(number: number, etag: S3ETag.bare(etag), size: size))
            }
            let truncated = root.value("IsTruncated") == "true"
            let next = root.value("NextPartNumberMarker")
            // A truncated page that does not move on would loop for ever.
            guard truncated, let next, next != marker, !next.isEmpty else { break }
            marker = next
        } while true
        return parts
    }

    func complete(_ session: RemoteSession, md5: String, via api: DialectTransport) async throws(EngineError) {
        _ = try await complete(session, md5: md5, parts: [], via: api)
    }

    func complete(_ session: RemoteSession, md5: String, parts: [UploadedPart], via api: DialectTransport) async throws(EngineError) -> String {
        let call = S3Call(location: location, transport: api)
        // A single PUT is the object: the store checked its Content-MD5 and the engine its
        // ETag (`checksPutETag`). No HEAD here: it would need s3:GetObject, which a
        // write-only key (a backup user's) does not have.
        guard let multipart = session.multipart else { return md5 }
        var document = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts.sorted(by: { $0.number < $1.number }) {
            document += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\"\(XMLText.escape(part.etag))\"</ETag></Part>"
        }
        document += "</CompleteMultipartUpload>"
        var headers = [SigV4Header("Content-Type", "application/xml")]
        if profile.noClobber { headers.append(SigV4Header("If-None-Match", "*")) }
        let answer: HTTPTransport.Answer
        do {
            answer = try await call.send("POST", key: session.id, query: [SigV4QueryItem("uploadId", multipart.uploadID)],
                                         headers: headers, body: ByteBuffer(string: document))
        } catch where error.serverCode == "NoSuchUpload" {
            // Completed by an earlier run whose answer was lost (killed before the journal
            // write): the object is there with the ETag these parts make (S3 writes it in
            // lower case, another store may not). No object there (a bare 404: a HEAD has
            // no body) or another one: the upload was aborted or expired, and starts again.
            let stored: String?
            do {
                stored = try await call.send("HEAD", key: session.id).headers.first(name: "ETag").map(S3ETag.bare)
            } catch where error.status == 404 || error.status == 403 {
                // No object, or no s3:GetObject to see one: started again either way.
                stored = nil
            }
            if let stored, stored.lowercased() == md5.lowercased() { return stored.lowercased() }
            throw .expired("the store no longer knows upload \(multipart.uploadID) of \(session.id); starting again from the first part", code: "NoSuchUpload")
        }
        let root = try S3XMLElement.parse(Data(answer.body.readableBytesView), expecting: "CompleteMultipartUploadResult", alias: "CompleteMultipartUploadResponse")
        let etag = root.value("ETag").map { S3ETag.bare($0).lowercased() } ?? md5.lowercased()
        if etag.contains("-"), etag != md5.lowercased() {
            throw .http(status: 422, code: "checksum_mismatch", message: "the store's ETag \(etag) is not the one of the parts sent (\(md5))")
        }
        return etag
    }

    var cancelsSessions: Bool { true }

    /// `hoist cancel KEY`: aborts every pending multipart upload of exactly that key. Each
    /// call is tried up to four times while its failure is worth another try (a 503
    /// `SlowDown`, an expired signature), and one abort that still fails does not keep the
    /// others from being tried; the first failure is then the answer.
    func cancel(id: String, via api: DialectTransport) async throws(EngineError) {
        let location = location
        let pending = try await BriefRetry.run(announce: api.announceRetry) { () async throws(EngineError) in
            try await S3Uploads.list(prefix: id, location: location, via: api).filter { $0.key == id }
        }
        guard !pending.isEmpty else { throw .http(status: 404, code: "NoSuchUpload", message: "no pending multipart upload of \(id)") }
        var failure: EngineError?
        for upload in pending {
            do {
                try await BriefRetry.run(announce: api.announceRetry) { () async throws(EngineError) in
                    try await S3Uploads.abort(key: upload.key, uploadID: upload.uploadID, location: location, via: api)
                }
            } catch {
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
    }

    func cancel(_ session: RemoteSession, via api: DialectTransport) async throws(EngineError) {
        guard let multipart = session.multipart else { return }
        try await S3Uploads.abort(key: session.id, uploadID: multipart.uploadID, location: location, via: api)
    }

    func status(id: String, via api: DialectTransport) async throws(EngineError) -> RemoteFile {
        let head: HTTPTransport.Answer
        do {
            head = try await S3Call(location: location, transport: api).send("HEAD", key: id, headers: [SigV4Header("x-amz-checksum-mode", "ENABLED")])
        } catch where error.status == 404 {
            // A HEAD has no body: a missing bucket and a missing key are both a bare 404.
            if try await !bucketExists(via: api) {
                throw .http(status: 404, code: "NoSuchBucket", message: "no bucket \(settings.bucket) at \(profile.endpoint)")
            }
            throw .http(status: 404, code: "NoSuchKey", message: "no object \(id) in bucket \(settings.bucket)")
        }
        var file = RemoteFile(id: id, filename: id, mimeType: head.headers.first(name: "Content-Type"),
                              sizeBytes: head.headers.first(name: "Content-Length").flatMap(Int64.init), status: "COMPLETED")
        file.etag = head.headers.first(name: "ETag").map(S3ETag.bare)
        file.md5 = S3ETag.md5(in: head.headers)
        for algorithm in ["CRC64NVME", "CRC32C", "CRC32", "SHA256", "SHA1"] {
            if let value = head.headers.first(name: "x-amz-checksum-\(algorithm.lowercased())") {
                file.checksum = "\(algorithm) \(value)"
                break
            }
        }
        if let modified = head.headers.first(name: "Last-Modified") { file.completedAt = HTTPDate.parse(modified) }
        return file
    }

    func downloadURL(id: String, via api: DialectTransport) async throws(EngineError) -> String {
        try await downloadURL(id: id, expiresIn: nil, via: api)
    }

    /// A presigned GET of an object that is there: a key with none (or a bucket that is
    /// not) is said, not answered with a URL that can only 404. A key without s3:GetObject
    /// (403 to the HEAD) gets its URL, which then says so itself.
    func downloadURL(id: String, expiresIn: Duration?, via api: DialectTransport) async throws(EngineError) -> String {
        do {
            _ = try await status(id: id, via: api)
        } catch where error.status == 403 {
        }
        return try S3Call(location: location, transport: api).presignedGET(key: id, expiresIn: expiresIn ?? .seconds(900))
    }

    /// Pending uploads are the open multipart uploads of exactly the key `named`, begun
    /// (the store's `Initiated`) at `since` or later: what a CreateMultipartUpload whose
    /// answer was lost may have left. Without a name, nothing: a whole bucket's uploads are
    /// `hoist gc`'s to list.
    func list(status: String, since: Date?, named name: String?, via api: DialectTransport) async throws(EngineError) -> [RemoteFile] {
        guard status == "PENDING", let name, !name.isEmpty else { return [] }
        return try await S3Uploads.list(prefix: name, location: location, via: api)
            .filter { upload in
                guard upload.key == name else { return false }
                guard let since else { return true }
                return upload.initiated.map { $0 >= since } ?? false
            }
            .map { RemoteFile(id: $0.key, filename: $0.key, status: "PENDING", createdAt: $0.initiated, uploadID: $0.uploadID) }
    }

    /// Read once, by the engine, for the PUT and the complete of `session`.
    func interpret(_ error: EngineError, for session: RemoteSession) -> EngineError {
        // Every request is signed for its attempt: an expired signature is signed again.
        let error = error.signedAgain
        // An upload id the store forgot (a lifecycle rule expired it, or it was aborted
        // elsewhere): the parts are gone, so a new multipart upload starts from part 1.
        if error.serverCode == "NoSuchUpload", error.status == 404 {
            return .expired("the store no longer knows this multipart upload (expired or aborted); starting again from the first part", code: "NoSuchUpload")
        }
        guard error.status == 412, profile.noClobber else { return error }
        return .alreadyExists(session.id)
    }

    /// Whether the bucket is there (HEAD of the bucket: 404 only when it is not; a 403, no
    /// s3:ListBucket, counts as there).
    private func bucketExists(via api: DialectTransport) async throws(EngineError) -> Bool {
        do {
            _ = try await S3Call(location: location, transport: api).send("HEAD", key: nil)
            return true
        } catch where error.status == 404 {
            return false
        } catch where error.status == 403 {
            return true
        }
    }

    /// Whether `key` holds an object, as far as the caller may know: a 403 (no
    /// s3:GetObject, or no s3:ListBucket for a missing key) counts as no, and the
    /// complete's `If-None-Match: *` is then what keeps the object.
    private func exists(_ key: String, call: S3Call) async throws(EngineError) -> Bool {
        do {
            _ = try await call.send("HEAD", key: key)
            return true
        } catch where error.status == 404 || error.status == 403 {
            return false
        }
    }
}

/// ETags as S3 sends them (quoted) and as hoist compares them.
enum S3ETag {
    /// The ETag without its surrounding blanks, weak mark (`W/`) and quotes. Read on every
    /// PUT's answer: byte-wise, since CharacterSet's trimming showed in the small-file profile.
    static func bare(_ etag: String) -> String {
        var text = etag.utf8[...]
        while let first = text.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { text.removeFirst() }
        while let last = text.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { text.removeLast() }
        if text.starts(with: "W/".utf8) { text.removeFirst(2) }
        while text.first == UInt8(ascii: "\"") { text.removeFirst() }
        while text.last == UInt8(ascii: "\"") { text.removeLast() }
        return String(Substring(text))
    }

    /// Whether `etag` has the shape of an MD5 (a multipart ETag ends in `-N`): 32 ASCII hex digits.
    static func isMD5(_ etag: String) -> Bool { Hex.isDigits(etag, count: 32) }

    /// The MD5 of the body a PUT stored, from the store's answer: its ETag, unless the
    /// answer says the object is encrypted with KMS or a customer's key, whose ETags are
    /// not the MD5 though they have its shape.
    static func md5(in headers: HTTPHeaders) -> String? {
        guard let etag = headers.first(name: "ETag").map(bare), isMD5(etag), !encrypted(headers) else { return nil }
        return etag.lowercased()
    }

    /// Whether the answer says the object is encrypted with KMS or a customer's key (its
    /// ETag, whatever its shape, is not the MD5 of its bytes).
    static func encrypted(_ headers: HTTPHeaders) -> Bool {
        let encryption = headers.first(name: "x-amz-server-side-encryption")?.lowercased() ?? ""
        return encryption.hasPrefix("aws:kms") || headers.contains(name: "x-amz-server-side-encryption-customer-algorithm")
    }
}
