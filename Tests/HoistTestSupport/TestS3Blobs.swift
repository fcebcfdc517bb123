import HoistServer
import SigV4

/// A new moto bucket as a test server's blob store, with the credentials moto accepts:
/// one way for every test that puts a server's bytes in S3.
public struct TestS3Blobs: Sendable {
    public let bucket: String
    public let location: S3BlobLocation

    /// A bucket named after `label`, keys under `prefix`.
    public static func make(_ label: String, prefix: String = "") async throws -> TestS3Blobs {
        let endpoint = try await MotoS3.endpoint()
        let bucket = try await MotoS3.makeBucket(label)
        return TestS3Blobs(bucket: bucket, location: S3BlobLocation(bucket: bucket, prefix: prefix, endpoint: endpoint, pathStyle: true))
    }

    /// Points `config` at this bucket, through `endpoint` when given (a `FaultProxy` in
    /// front of moto, say: the server's calls and its presigned URLs both go there).
    public func apply(to config: inout ServerConfiguration, endpoint: String? = nil) {
        var location = location
        if let endpoint { location.endpoint = endpoint }
        config.blobStore = .s3(location)
        config.s3Credentials = SigV4Credentials(accessKeyID: "testing", secretAccessKey: "testing")
    }
}
