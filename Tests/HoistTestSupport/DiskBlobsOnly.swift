import Testing

extension Trait where Self == ConditionTrait {
    /// A test of the server's own byte path (its storage URLs, what it does with a body,
    /// headers it adds when it serves bytes): it holds only when the server receives the
    /// bytes, not under `HOIST_TEST_BACKEND=postgres+s3`, where clients PUT to the bucket
    /// and fetch from it. `S3BlobStoreTests` hold the S3 side of the same rules.
    public static var diskBlobsOnly: Self {
        .enabled(if: !TestBackend.bytesGoToS3,
                 "the server receives and serves the bytes itself only with the disk blob store")
    }
}
