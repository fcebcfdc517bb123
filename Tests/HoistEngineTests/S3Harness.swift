import SigV4
import Foundation
import HoistTestSupport

@testable import HoistEngine

/// A moto bucket of its own, a temp directory of files, and engines in the s3 dialect,
/// optionally through a `FaultProxy` (which counts the requests and injects S3 errors).
struct S3Harness {
    let endpoint: String
    let bucket: String
    let files: String

    static func with<T>(_ body: (S3Harness) async throws -> T) async throws -> T {
        let endpoint = try await MotoS3.endpoint()
        let harness = S3Harness(
            endpoint: endpoint, bucket: try await MotoS3.makeBucket("hoist"),
            files: (try TempDirectory.make(prefix: "hoist-s3") as NSString).standardizingPath)
        defer { try? FileManager.default.removeItem(atPath: harness.files) }
        return try await body(harness)
    }

    func profile(via endpoint: String? = nil, prefix: String = "", threshold: Int64 = 16 << 20, noClobber: Bool = false) -> Profile {
        var profile = Profile(name: "s3-test", dialect: .s3, endpoint: endpoint ?? self.endpoint, apiKeyEnv: nil)
        profile.s3 = S3Settings(bucket: bucket, region: "us-east-1", prefix: prefix, pathStyle: true, multipartThreshold: threshold)
        profile.noClobber = noClobber
        return profile
    }

    static let key = APIKey(signing: SigV4Credentials(accessKeyID: "AKIDTEST", secretAccessKey: "test-secret"))

    func engine(_ profile: Profile, journal: String? = nil, rateLimit: Int64? = nil, partJobs: Int = 4,
                configure: (inout EngineConfiguration) -> Void = { _ in }) throws -> UploadEngine {
        var config = EngineConfiguration(profile: profile, key: Self.key)
        config.journalPath = journal
        config.rateLimit = rateLimit
        config.partJobs = partJobs
        // The engine's own backoff: moto is a Python development server that, started on a
        // machine busy with the rest of the suite, drops a few connections at first.
        config.retryPolicy = .standard
        // One journal key whichever way (direct or through the proxy) the engine goes.
        config.journalEndpoint = "s3-test:" + bucket
        configure(&config)
        return try UploadEngine(configuration: config)
    }

    /// Writes `size` pseudo-random bytes to `name` under the files directory.
    @discardableResult
    func file(_ name: String, size: Int, seed: UInt32 = 7) throws -> String {
        try EngineHarness.writeFile(files + "/" + name, size: size, seed: seed)
    }

    func object(_ key: String) async throws -> Data? { try await MotoS3.object(bucket: bucket, key: key) }
    func etag(_ key: String) async throws -> String? { try await MotoS3.etag(bucket: bucket, key: key) }
    func openUploads() async throws -> [(key: String, uploadID: String)] { try await MotoS3.multipartUploads(bucket: bucket) }
}
