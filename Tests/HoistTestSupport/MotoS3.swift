import SigV4
import Foundation
import NIOHTTP1
import Synchronization
#if canImport(FoundationXML)
import FoundationXML
#endif

/// moto's S3 server, the real S3 peer of the s3 dialect's tests: the one `.ci/run` started
/// (`HOIST_TEST_S3_ENDPOINT`), or else one this test process starts on a free loopback port
/// and stops when it exits. moto checks no signatures; the SigV4 vector tests cover those.
public enum MotoS3 {
    private static let started = Mutex<Task<String, any Error>?>(nil)

    /// The server's base URL (`http://127.0.0.1:PORT`).
    public static func endpoint() async throws -> String {
        if let given = ProcessInfo.processInfo.environment["HOIST_TEST_S3_ENDPOINT"], !given.isEmpty { return given }
        let task = started.withLock { task in
            if let task { return task }
            let new = Task { try await launch() }
            task = new
            return new
        }
        return try await task.value
    }

    /// A new, empty bucket with a name unique to this call.
    public static func makeBucket(_ label: String = "t") async throws -> String {
        let name = "\(label.lowercased().filter { $0.isLetter || $0.isNumber })-\(UUID().uuidString.lowercased().prefix(13))"
        let answer = try await send(.PUT, "/\(name)")
        guard answer.status == 200 else { throw MotoError(message: "create bucket \(name): \(answer.status) \(answer.text)") }
        return name
    }

    /// The object's bytes, or nil when there is none.
    public static func object(bucket: String, key: String) async throws -> Data? {
        let answer = try await send(.GET, "/\(bucket)/\(encode(key))")
        return answer.status == 200 ? answer.body : nil
    }

    /// Stores `body` at `key`, as another writer would.
    public static func put(bucket: String, key: String, body: Data) async throws {
        let answer = try await send(.PUT, "/\(bucket)/\(encode(key))", body: body)
        guard answer.status == 200 else { throw MotoError(message: "put \(key): \(answer.status) \(answer.text)") }
    }

    /// The object's ETag (unquoted), or nil.
    public static func etag(bucket: String, key: String) async throws -> String? {
        let answer = try await send(.HEAD, "/\(bucket)/\(encode(key))")
        return answer.status == 200 ? answer.header("ETag")?.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) : nil
    }

    /// Every key in the bucket.
    public static func keys(bucket: String) async throws -> [String] {
        try elements("Key", in: try await send(.GET, "/\(bucket)?list-type=2").body)
    }

    /// The open multipart uploads: (key, upload id).
    public static func multipartUploads(bucket: String) async throws -> [(key: String, uploadID: String)] {
        let body = try await send(.GET, "/\(bucket)?uploads").body
        return zip(try elements("Key", in: body), try elements("UploadId", in: body)).map { ($0, $1) }
    }

    /// Opens a multipart upload of `key` and sends one 5 MiB part; its upload id.
    public static func openMultipartUpload(bucket: String, key: String) async throws -> String {
        let answer = try await send(.POST, "/\(bucket)/\(encode(key))?uploads")
        guard let id = try elements("UploadId", in: answer.body).first else { throw MotoError(message: "no UploadId: \(answer.text)") }
        _ = try await send(.PUT, "/\(bucket)/\(encode(key))?partNumber=1&uploadId=\(id)", body: Data(repeating: 7, count: 5 << 20))
        return id
    }

    /// Deletes an object behind hoist's back (as another program or a lifecycle rule would).
    public static func delete(bucket: String, key: String) async throws {
        _ = try await send(.DELETE, "/\(bucket)/\(encode(key))")
    }

    /// Deletes every object of `bucket`, then the bucket (as an operator's mistake would).
    public static func deleteBucket(_ bucket: String) async throws {
        for key in try await keys(bucket: bucket) { try await delete(bucket: bucket, key: key) }
        let answer = try await send(.DELETE, "/\(bucket)")
        guard answer.status == 204 else { throw MotoError(message: "DELETE of bucket \(bucket): \(answer.status) \(answer.text)") }
    }

    /// Aborts an upload behind hoist's back (as a lifecycle rule would).
    public static func abort(bucket: String, key: String, uploadID: String) async throws {
        _ = try await send(.DELETE, "/\(bucket)/\(encode(key))?uploadId=\(uploadID)")
    }

    /// `key` percent-encoded for a path (unreserved characters and `/` kept).
    public static func encode(_ key: String) -> String {
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~/")
        return key.utf8.map { byte in
            unreserved.contains(Unicode.Scalar(byte)) && byte < 128 ? String(UnicodeScalar(byte)) : String(format: "%%%02X", byte)
        }.joined()
    }

    private static func send(_ method: HTTPMethod, _ path: String, body: Data? = nil) async throws -> HTTPResult {
        // moto treats a request without credentials as anonymous; any SigV4-shaped header will do.
        let headers = [
            ("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00"),
            ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"), ("x-amz-date", "20260101T000000Z"),
        ]
        return try await TestHTTP.send(method, try await endpoint() + path, headers: headers, body: body)
    }

    private static func elements(_ name: String, in data: Data) throws -> [String] {
        final class Collector: NSObject, XMLParserDelegate {
            let name: String
            var values: [String] = []
            var current: String?
            init(name: String) { self.name = name }
            func parser(_ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
                if element == name { current = "" }
            }
            func parser(_ parser: XMLParser, foundCharacters string: String) { current? += string }
            func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
                if element == name, let current { values.append(current) }
                current = nil
            }
        }
        let collector = Collector(name: name)
        let parser = XMLParser(data: data)
        parser.delegate = collector
        guard parser.parse() else { throw MotoError(message: "not XML: \(String(decoding: data.prefix(200), as: UTF8.self))") }
        return collector.values
    }

    private static func launch() async throws -> String {
        // moto_server as pip installs it, else the module through python3.
        let command: (String, [String])
        if let moto = which("moto_server") {
            command = (moto, [])
        } else if let python = which("python3") {
            command = (python, ["-m", "moto.server"])
        } else {
            throw MotoError(message: "moto_server is not installed (pip install 'moto[server]'); .ci/run installs it")
        }
        // Ports below the kernel's ephemeral range (32768 and up): a server another test
        // binds to port 0 can never take moto's port while moto starts. A port in use makes
        // moto exit; then the next one is tried.
        for _ in 0..<8 {
            let port = Int.random(in: 20000..<30000)
            if let url = try await start(command, port: port) { return url }
        }
        throw MotoError(message: "moto_server did not start on any of 8 ports")
    }

    /// Starts moto on `port`; its URL once it answers as moto, nil if it exited first.
    private static func start(_ command: (String, [String]), port: Int) async throws -> String? {
        // Its request log goes to a file: a pipe nobody reads would fill and stall it.
        let log = TempDirectory.file("hoist-moto-\(port).log")
        // A watchdog shell stops moto when this test process is gone, however it ends
        // (swift-testing's process may exit without running atexit handlers).
        let motoCommand = ([command.0] + command.1 + ["-H", "127.0.0.1", "-p", String(port)]).map(Tmux.quote).joined(separator: " ")
        let watchdog = "\(motoCommand) & moto=$!; trap 'kill -9 $moto 2>/dev/null' EXIT INT TERM; "
            + "while kill -0 \(getpid()) 2>/dev/null && kill -0 $moto 2>/dev/null; do sleep 1; done"
        let process = try await Spawned("/bin/sh", ["-c", "exec > \(Tmux.quote(log)) 2>&1; " + watchdog])
        let url = "http://127.0.0.1:\(port)"
        // Only moto's own API answers 200 here; anything else on the port is not moto.
        let up = await waitUntil(timeout: 60) {
            if !process.isRunning { return true }
            return (try? await TestHTTP.send(.GET, url + "/moto-api/"))?.status == 200
        }
        guard up, process.isRunning else {
            process.send(SIGTERM)
            return nil
        }
        motoPID.withLock { $0 = process.processIdentifier }
        atexit { MotoS3.stopStarted() }
        return url
    }

    private static let motoPID = Mutex<Int32>(0)

    /// Stops the server this process started (at exit).
    static func stopStarted() {
        motoPID.withLock { pid in
            if pid > 0 { kill(pid, SIGTERM) }
        }
    }

    private static func which(_ program: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(program)" }.first(where: FileManager.default.isExecutableFile)
    }
}

public struct MotoError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
