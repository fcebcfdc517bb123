import Crypto
import Foundation
import HoistServer
import HoistTestSupport
import Testing

@testable import HoistEngine

/// A real server on port 0, a temp directory of files, and engines pointed at either.
struct EngineHarness {
    let server: TestServer
    let files: String

    /// Runs `body` with a started harness and awaits the server's shutdown and the files'
    /// removal, even when `body` throws.
    @discardableResult
    static func with<T>(sessionTTL: TimeInterval = 3600, clock: ManualClock? = nil,
                        configure: (inout ServerConfiguration) -> Void = { _ in },
                        _ body: (EngineHarness) async throws -> T) async throws -> T {
        try await withAwaitedCleanup(
            try await start(sessionTTL: sessionTTL, clock: clock, configure: configure), cleanup: { await $0.stop() }, body)
    }

    /// Starts a harness; the caller must await `stop()` on every path. Prefer `with`.
    static func start(sessionTTL: TimeInterval = 3600, clock: ManualClock? = nil,
                      configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> EngineHarness {
        // Standardised, so paths match the ones the engine reports (TempDirectory yields `/tmp//x`).
        let files = (try TempDirectory.make(prefix: "hoist-files") as NSString).standardizingPath
        return EngineHarness(server: try await TestServer.start(sessionTTL: sessionTTL, clock: clock, configure: configure), files: files)
    }

    func stop() async {
        await server.stop()
        try? FileManager.default.removeItem(atPath: files)
    }

    func profile(_ dialect: HoistEngine.Dialect = .lightfield, endpoint: String? = nil, purpose: String? = nil) -> Profile {
        Profile(name: "test", dialect: dialect, endpoint: endpoint ?? server.baseURL, apiKeyEnv: "HOIST_TEST_KEY", purpose: purpose, pid: dialect == .luw ? 100 : nil)
    }

    func engine(_ profile: Profile, journal: String? = nil, rateLimit: Int64? = nil, concurrency: Int = 4,
                key: String? = nil, configure: (inout EngineConfiguration) -> Void = { _ in }) throws -> UploadEngine {
        var config = EngineConfiguration(profile: profile, key: APIKey(key ?? server.key))
        config.journalPath = journal
        config.rateLimit = rateLimit
        config.concurrency = concurrency
        config.retryPolicy = RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(10), maxDelay: .milliseconds(50))
        config.journalEndpoint = journal.map { _ in "test-endpoint" }
        configure(&config)
        return try UploadEngine(configuration: config)
    }

    func api(_ profile: Profile) -> TestAPI { TestAPI(profile: profile, key: APIKey(server.key)) }

    /// Writes `size` pseudo-random bytes to `name` under the files directory.
    @discardableResult
    func file(_ name: String, size: Int, seed: UInt8 = 7) throws -> String {
        try Self.writeFile(files + "/" + name, size: size, seed: UInt32(seed))
    }

    /// Writes `size` pseudo-random bytes (`TestBytes`, from `seed`) to `path`, making its directory.
    @discardableResult
    static func writeFile(_ path: String, size: Int, seed: UInt32) throws -> String {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try TestBytes.write(path, count: size, seed: UInt64(seed))
        return path
    }

    /// Changes a file mid-upload: appends to `path` when it is `grows`, deletes it when it
    /// is `vanishes`.
    static func disturb(_ path: String, growing grows: String, vanishing vanishes: String) {
        if path == grows, let handle = FileHandle(forWritingAtPath: grows) {
            handle.seekToEndOfFile()
            handle.write(Data("more".utf8))
            handle.closeFile()
        } else if path == vanishes {
            try? FileManager.default.removeItem(atPath: vanishes)
        }
    }

    static func md5(_ path: String) throws -> String {
        Insecure.MD5.hash(data: try Data(contentsOf: URL(fileURLWithPath: path))).map { String(format: "%02x", $0) }.joined()
    }
}

/// One-shot API calls for checking what the server holds.
struct TestAPI {
    let profile: Profile
    let key: APIKey
    func status(_ id: String) async throws -> RemoteFile {
        try await UploadAPI.with(profile: profile, key: key) { api throws(EngineError) in try await api.status(id: id) }
    }
    func list(_ status: String) async throws -> [RemoteFile] {
        try await UploadAPI.with(profile: profile, key: key) { api throws(EngineError) in try await api.list(status: status, since: nil) }
    }
    /// Every session the server holds for this key, whatever its status.
    func all() async throws -> [RemoteFile] {
        var files: [RemoteFile] = []
        for status in ["PENDING", "COMPLETED", "CANCELLED", "EXPIRED"] { files += try await list(status) }
        return files
    }
    func create(_ name: String, size: Int64, mime: String = "text/plain") async throws -> RemoteSession {
        try await UploadAPI.with(profile: profile, key: key) { api throws(EngineError) in try await api.createSession(name: name, size: size, mimeType: mime) }
    }
}

/// Reads events until every job in `ids` ended (or `timeout` passed), calling `onEvent` on each.
/// The timeout is a safety net, not a bound under test: a passing test never waits for it,
/// and a full parallel run on a slow day took over 20 s for six small files into moto.
func collect(
    _ engine: UploadEngine, _ ids: [JobID], timeout: Duration = .seconds(90),
    onEvent: @escaping @Sendable (EngineEvent) async -> Void = { _ in }
) async throws -> [EngineEvent] {
    try await withThrowingTaskGroup(of: [EngineEvent]?.self) { group in
        group.addTask {
            var open = Set(ids)
            var seen: [EngineEvent] = []
            for await event in engine.events {
                seen.append(event)
                await onEvent(event)
                if event.isTerminal { open.remove(event.job) }
                if open.isEmpty { break }
            }
            return seen
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        let first = try await group.next() ?? nil
        group.cancelAll()
        guard let events = first else { throw EngineError.network("test timed out waiting for events") }
        return events
    }
}

extension [EngineEvent] {
    func kinds(_ id: JobID) -> [EngineEvent.Kind] { filter { $0.job == id }.map(\.kind) }
    /// One job's events on one line, progress left out: what a failure message needs.
    func story(_ id: JobID) -> String {
        kinds(id).filter { if case .progress = $0 { return false } else { return true } }
            .map { String(describing: $0) }.joined(separator: " → ")
    }
    func terminal(_ id: JobID) -> EngineEvent.Kind? { last { $0.job == id && $0.isTerminal }?.kind }
    func sessions(_ id: JobID) -> [String] {
        kinds(id).compactMap { if case .sessionCreated(let remote, _, _) = $0 { return remote } else { return nil } }
    }
    func completed(_ id: JobID) -> (id: String, md5: String)? {
        if case .completed(let remote, let md5)? = terminal(id) { return (remote, md5) }
        return nil
    }
}
