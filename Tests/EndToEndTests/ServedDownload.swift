import Foundation
import HoistTestSupport
import Testing

/// A `hoist serve` process with one stored file, and the request target of its signed
/// download URL: what the tests of downloads nobody reads start from.
struct ServedDownload {
    let server: ChildProcess
    let port: Int
    /// The download URL's path and query, for a raw `GET`.
    let target: String

    /// Makes a key in `dir`, starts `command` (given the binary and `dir`; it must run
    /// `hoist serve --data DIR --port 0`), and stores `size` pseudo-random bytes through it.
    /// The caller stops the server.
    static func start(prefix: String, size: Int, command: (_ bin: String, _ dir: String) -> (String, [String])) async throws -> ServedDownload {
        let dir = try TempDirectory.make(prefix: prefix)
        let bin = try HoistBinary.require()
        let key = try await Shell.run("'\(bin)' keys create --data '\(dir)' --scopes files:create,files:read").stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let (executable, arguments) = command(bin, dir)
        let server = try await ChildProcess(executable, arguments)
        do {
            let base = try await server.firstLine()
            let port = try #require(Int(base.split(separator: ":").last ?? ""))
            let calls = LightfieldCalls(baseURL: base, key: key)
            let stored = try await calls.upload(TestBytes.pseudoRandom(count: size, seed: UInt64(size)))
            let id = try #require(stored.string("id"))
            let url = try #require(try await calls.downloadURL(id).string("url"))
            return ServedDownload(server: server, port: port, target: String(url.dropFirst(base.count)))
        } catch {
            server.send(SIGKILL)
            throw error
        }
    }
}
