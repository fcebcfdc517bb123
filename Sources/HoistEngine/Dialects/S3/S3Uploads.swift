import SigV4
import Foundation

/// A multipart upload a bucket holds open.
public struct PendingMultipartUpload: Sendable, Equatable {
    public var key: String
    public var uploadID: String
    public var initiated: Date?
}

/// The bucket's open multipart uploads: listing (every page) and aborting.
enum S3Uploads {
    /// Every open multipart upload whose key starts with `prefix`.
    static func list(prefix: String, location: S3Location, via api: DialectTransport) async throws(EngineError) -> [PendingMultipartUpload] {
        let call = S3Call(location: location, transport: api)
        var found: [PendingMultipartUpload] = []
        var keyMarker: String?
        var uploadMarker: String?
        while true {
            var query = [SigV4QueryItem("uploads")]
            if !prefix.isEmpty { query.append(SigV4QueryItem("prefix", prefix)) }
            if let keyMarker { query.append(SigV4QueryItem("key-marker", keyMarker)) }
            if let uploadMarker { query.append(SigV4QueryItem("upload-id-marker", uploadMarker)) }
            let answer = try await call.send("GET", key: nil, query: query)
            let root = try S3XMLElement.parse(Data(answer.body.readableBytesView), expecting: "ListMultipartUploadsResult")
            for upload in root.all("Upload") {
                guard let key = upload.child("Key")?.text, let id = upload.value("UploadId") else { continue }
                found.append(PendingMultipartUpload(key: key, uploadID: id, initiated: upload.value("Initiated").flatMap(ISO8601.parse)))
            }
            let nextKey = root.value("NextKeyMarker")
            let nextUpload = root.value("NextUploadIdMarker")
            guard root.value("IsTruncated") == "true", let nextKey, !nextKey.isEmpty,
                nextKey != keyMarker || nextUpload != uploadMarker
            else { break }
            keyMarker = nextKey
            uploadMarker = nextUpload
        }
        return found
    }

    /// Aborts one upload; one the store no longer knows counts as aborted.
    static func abort(key: String, uploadID: String, location: S3Location, via api: DialectTransport) async throws(EngineError) {
        do {
            _ = try await S3Call(location: location, transport: api).send("DELETE", key: key, query: [SigV4QueryItem("uploadId", uploadID)])
        } catch where error.status == 404 {
            return
        }
    }
}
