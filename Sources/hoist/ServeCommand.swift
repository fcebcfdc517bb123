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

    @Option(help: "The address to bind.")
    var host: String = "127.0.0.1"

    @Option(help: "The port; 0 picks a free one.")
    var port: Int = 8080

    @Option(name: .customLong("session-ttl"), help: "Seconds an upload session and its signed URL live.")
    var sessionTTL: Int = 3600

    @Option(name: .customLong("download-ttl"), help: "Seconds a signed download URL lives.")
    var downloadTTL: Int = 900

    @Option(name: .customLong("public-url"), help: "The base of the URLs handed out (default: the Host the client used).")
    var publicURL: String?

    @Option(name: .customLong("allow-origin"), help: "An origin allowed by CORS; repeat for more (default: any).")
    var allowOrigin: [String] = []

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        guard sessionTTL > 0, downloadTTL > 0 else { throw ValidationError("TTLs must be positive") }
    }

    func run() async throws {
        var config = ServerConfiguration(dataDirectory: data)
        config.host = host
        config.port = port
        config.sessionTTL = TimeInterval(sessionTTL)
        config.downloadTTL = TimeInterval(downloadTTL)
        config.publicBaseURL = publicURL
        config.allowedOrigins = allowOrigin.isEmpty ? nil : allowOrigin
        let server: UploadServer
        do {
            server = try await UploadServer.start(config, handlingSignals: true)
        } catch {
            throw CleanExit.message("hoist serve: cannot start on \(host):\(port): \(error)")
        }
        // Scripts read this line to find the server: it goes out whole and at once.
        FileHandle.standardOutput.write(Data((server.baseURL + "\n").utf8))
        FileHandle.standardError.write(Data("hoist serve: listening on \(server.baseURL), data in \(data)\n".utf8))
        try await server.wait()
    }
}
