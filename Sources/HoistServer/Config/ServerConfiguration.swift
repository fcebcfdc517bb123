import Foundation
import SigV4

/// Everything `UploadServer` needs to run; defaults follow API.md.
public struct ServerConfiguration: Sendable {
    /// The data directory: the SQLite database, blobs and temporary files live here.
    public var dataDirectory: String
    /// The address to bind; loopback unless told otherwise.
    public var host: String = "127.0.0.1"
    /// The port; 0 picks a free one.
    public var port: Int = 0
    /// How long an upload session (and its signed URL) lives.
    public var sessionTTL: TimeInterval = 3600
    /// How long a signed download URL lives.
    public var downloadTTL: TimeInterval = 900
    /// The Lightfield purposes and their limits.
    public var purposes: PurposePolicy = .standard
    /// Origins allowed by CORS; `nil` allows any.
    public var allowedOrigins: [String]? = nil
    /// The base of the URLs the server hands out (`--public-url`); `nil` uses the address
    /// actually bound. Never the request's `Host`.
    public var publicBaseURL: String? = nil
    /// Timeouts and the cap on open connections.
    public var connectionLimits = ConnectionLimits()
    /// Serve `/metrics` on this port instead of the API's; 0 picks a free one.
    public var metricsPort: Int? = nil
    /// After SIGTERM or SIGINT (or ``UploadServer/shutdown()``), how long requests in flight
    /// may take to finish before their connections are closed (`--shutdown-grace`). Without
    /// a bound, one client trickling a body (a byte within each `bodyTimeout`) or reading an
    /// answer slowly would hold every restart for as long as it liked.
    public var shutdownGrace: TimeInterval = 30
    /// How often the sweeper runs on its own.
    public var sweepInterval: TimeInterval = 30
    /// With disk blobs and metadata in PostgreSQL (several instances, each with its own
    /// disk): how often the blobs no row references any more are looked for, and how old
    /// (last written) one must be to go. Another instance that discarded bytes (a wrong
    /// md5, a cancel, a sweep) could not delete this instance's file.
    public var orphanBlobInterval: TimeInterval = 3600
    public var orphanBlobAge: TimeInterval = 3600
    /// Where metadata lives: the data directory's SQLite database, or PostgreSQL.
    public var metadata: MetadataLocation = .sqlite
    /// Where bytes live: the data directory, or an S3 bucket clients PUT to directly.
    public var blobStore: BlobStoreLocation = .disk
    /// The credentials for an S3 blob store; `nil` finds them the AWS way (environment,
    /// `~/.aws/credentials`, `~/.aws/config`).
    public var s3Credentials: SigV4Credentials? = nil
    /// The HMAC secret of signed URLs, shared by every instance (`--secret-file`,
    /// `HOIST_SECRET`); `nil` uses the one the metadata store made on first start.
    public var signingSecret: Data? = nil
    /// The source of "now".
    public var clock: any ServerClock = SystemClock()

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }
}

/// The one version of the Lightfield API this server speaks.
enum LightfieldVersion {
    static let current = "2026-03-01"
}
