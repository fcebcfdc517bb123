import Foundation
import HoistEngine
import HoistServer

/// `hoist serve`'s code started in-process on 127.0.0.1, for runs with no profile.
///
/// Its data lives under `$XDG_DATA_HOME/hoist/`; its key is created on first use and kept
/// in `embedded.key` (mode 0600) beside the data, since the server stores keys hashed.
struct EmbeddedServer: Sendable {
    let server: UploadServer
    let key: APIKey
    let dataDirectory: String
    var baseURL: String { server.baseURL }

    static func start(dataDirectory: String) async throws -> EmbeddedServer {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let keyFile = dataDirectory + "/embedded.key"
        let secret: String
        if let stored = try? String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !stored.isEmpty {
            secret = stored
        } else {
            secret = try await KeyAdmin(dataDirectory: dataDirectory).createKey(
                scopes: ["files:create", "files:read"], role: "admin", personas: [1], user: nil)
            guard FileManager.default.createFile(
                atPath: keyFile, contents: Data((secret + "\n").utf8), attributes: [.posixPermissions: 0o600])
            else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: keyFile]) }
        }
        let server = try await UploadServer.start(ServerConfiguration(dataDirectory: dataDirectory))
        return EmbeddedServer(server: server, key: APIKey(secret), dataDirectory: dataDirectory)
    }

    func stop() async { try? await server.shutdown() }
}
