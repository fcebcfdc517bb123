import ArgumentParser
import Foundation
import HoistServer

/// `hoist serve`: the reference server for both dialects.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the reference upload server (Lightfield and Luw dialects).",
        discussion: "The first line on stdout is the base URL. SIGINT or SIGTERM shut it down cleanly.")

    @Option(help: "The data directory (SQLite database and stored files).")
    var data: String

    @OptionGroup var database: DatabaseOption
    @OptionGroup var secret: SecretOption

    @Option(help: "The address to bind.")
    var host: String = "127.0.0.1"

    @Option(help: "The port; 0 picks a free one.")
    var port: Int = 8080

    @Option(name: .customLong("session-ttl"),
            help: "Seconds an upload session and its signed URL live (default 3600; 900 with an S3 blob store).")
    var sessionTTL: Int?

    @Option(name: .customLong("blob-store"),
            help: "Where bytes go: disk (default, under --data) or s3://BUCKET[/PREFIX]?endpoint=URL&region=R&path_style=1, PUT to directly.")
    var blobStore: String?

    @Option(name: .customLong("download-ttl"), help: "Seconds a signed download URL lives.")
    var downloadTTL: Int = 900

    @Option(name: .customLong("public-url"),
            help: "The base of the signed and final URLs handed out, e.g. https://uploads.example.com (default: the address bound).")
    var publicURL: String?

    @Option(name: .customLong("allow-origin"), help: "An origin allowed by CORS; repeat for more (default: any).")
    var allowOrigin: [String] = []

    @Option(name: .customLong("header-timeout"), help: "Seconds a request head may take to arrive in full.")
    var headerTimeout: Double = 10

    @Option(name: .customLong("idle-timeout"), help: "Seconds an idle keep-alive connection stays open.")
    var idleTimeout: Double = 60

    @Option(name: .customLong("body-timeout"), help: "Seconds a request body may send nothing before it is answered 408.")
    var bodyTimeout: Double = 60

    @Option(name: .customLong("send-timeout"), help: "Seconds a client may take none of an answer before its connection closes.")
    var sendTimeout: Double = 60

    @Option(name: .customLong("shutdown-grace"),
            help: "Seconds requests in flight may take to finish after SIGTERM or SIGINT before their connections close.")
    var shutdownGrace: Double = 30

    @Option(name: .customLong("max-connections"), help: "Connections open at once; more wait in the listen backlog until one closes.")
    var maxConnections: Int = 4096

    @Option(name: .customLong("metrics-port"), help: "Serve /metrics on this port instead of the API's (0 picks one).")
    var metricsPort: Int?

    @Option(name: .customLong("sweep-interval"),
            help: "Seconds between sweeps (expired sessions, Luw files whose time is up, freed memory handed back).")
    var sweepInterval: Double = 30

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        if let metricsPort, !(0...65535).contains(metricsPort) { throw ValidationError("--metrics-port must be from 0 to 65535") }
        // Bounded so that an expiry stays a representable date and integer.
        _ = try blobLocation()
        guard (1...315_360_000).contains(sessionTTL ?? 3600), (1...315_360_000).contains(downloadTTL) else {
            throw ValidationError("--session-ttl and --download-ttl must be from 1 second to 10 years")
        }
        let timeouts = [("--header-timeout", headerTimeout), ("--idle-timeout", idleTimeout), ("--body-timeout", bodyTimeout),
                        ("--send-timeout", sendTimeout), ("--sweep-interval", sweepInterval)]
        for (name, value) in timeouts {
            guard value.isFinite, value > 0, value <= 86_400 else { throw ValidationError("\(name) must be from 0 to 86400 seconds") }
        }
        guard shutdownGrace.isFinite, (0...86_400).contains(shutdownGrace) else {
            throw ValidationError("--shutdown-grace must be from 0 to 86400 seconds")
        }
        guard maxConnections > 0 else { throw ValidationError("--max-connections must be at least 1") }
        if let publicURL { _ = try PublicURL.normalized(publicURL) }
        _ = try secret.secret()
    }

    func run() async throws {
        var config = ServerConfiguration(dataDirectory: data)
        config.host = host
        config.port = port
        config.blobStore = try blobLocation()
        // A presigned S3 URL cannot be revoked, so on S3 sessions (and their URLs) are short.
        config.sessionTTL = TimeInterval(sessionTTL ?? (config.blobStore == .disk ? 3600 : 900))
        config.downloadTTL = TimeInterval(downloadTTL)
        config.publicBaseURL = try publicURL.map(PublicURL.normalized)
        config.connectionLimits.headerTimeout = .nanoseconds(Int64(headerTimeout * 1e9))
        config.connectionLimits.idleTimeout = .nanoseconds(Int64(idleTimeout * 1e9))
        config.connectionLimits.bodyTimeout = .nanoseconds(Int64(bodyTimeout * 1e9))
        config.connectionLimits.sendTimeout = .nanoseconds(Int64(sendTimeout * 1e9))
        config.connectionLimits.maxConnections = maxConnections
        config.shutdownGrace = shutdownGrace
        config.sweepInterval = sweepInterval
        config.metricsPort = metricsPort
        config.allowedOrigins = allowOrigin.isEmpty ? nil : allowOrigin
        config.metadata = database.location
        config.signingSecret = try secret.secret()
        let server: UploadServer
        do {
            server = try await UploadServer.start(config, handlingSignals: true)
        } catch {
            // A server that cannot start is a failure: exit 1, the reason on stderr.
            Stderr.write("hoist serve: cannot start on \(host):\(port): \(error)\n")
            throw ExitCode(1)
        }
        // Scripts read this line to find the server: it goes out whole and at once.
        FileHandle.standardOutput.write(Data((server.baseURL + "\n").utf8))
        var note = "hoist serve: listening on \(server.baseURL), data in \(data)"
        if publicURL != nil {
            // The base URL is the public one; a script that asked for --port 0 finds the port here.
            let bound = host.contains(":") ? "[\(host)]" : host
            note = "hoist serve: listening on http://\(bound):\(server.port) (URLs handed out under \(server.baseURL)), data in \(data)"
        }
        if case .postgres = config.metadata { note += ", metadata in PostgreSQL" }
        if case .s3(let s3) = config.blobStore { note += ", bytes in s3://\(s3.bucket)/\(s3.prefix)" }
        if let port = server.metricsPort { note += ", metrics on port \(port)" }
        if publicURL == nil, ["0.0.0.0", "::"].contains(host) {
            note += "\nhoist serve: bound to every address; give --public-url so that the URLs it hands out reach it"
        }
        FileHandle.standardError.write(Data((note + "\n").utf8))
        try await server.wait()
    }
}

extension ServeCommand {
    func blobLocation() throws -> BlobStoreLocation {
        do {
            return try BlobStoreLocation.parse(blobStore)
        } catch let error as BlobStoreError {
            throw ValidationError(error.description)
        }
    }
}

/// `--public-url`: an absolute http(s) URL with a host and nothing after its path.
enum PublicURL {
    static func normalized(_ raw: String) throws -> String {
        guard let url = URLComponents(string: raw), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = url.host, !host.isEmpty, url.query == nil, url.fragment == nil, url.user == nil
        else { throw ValidationError("--public-url must be an http or https URL such as https://uploads.example.com") }
        return raw.hasSuffix("/") ? String(raw.dropLast()) : raw
    }
}
