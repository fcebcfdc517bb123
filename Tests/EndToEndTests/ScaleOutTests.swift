import Foundation
import HoistTestSupport
import Synchronization
import Testing

/// Two `hoist serve` processes on one PostgreSQL database and one moto bucket, used as one
/// service: every call of every lifecycle goes to either, and killing one loses nothing.
@Suite("hoist serve scaled out: PostgreSQL and S3", .serialized)
struct ScaleOutTests {
    /// The two instances and the key they share.
    struct Service: Sendable {
        let instances: [ChildProcess]
        let bases: [String]
        let key: String
        let bucket: String

        /// `call` against a random instance, then the other if that one cannot be reached
        /// (killed): what a load balancer's retry does.
        func anyInstance(_ call: (String) async throws -> HTTPResult) async throws -> HTTPResult {
            var lastError: (any Error)?
            for base in bases.shuffled() {
                do {
                    return try await call(base)
                } catch {
                    lastError = error
                }
            }
            throw lastError ?? ChildProcessError(description: "no instance")
        }
    }

    /// The bytes of lifecycle `index`: a few KiB that differ per file.
    static func content(_ index: Int) -> Data {
        Data(String(repeating: "lifecycle \(index) of the scale-out test\n", count: 20 + index % 80).utf8)
    }

    static func withService(_ body: (Service) async throws -> Void) async throws {
        let database = try await TestPostgres.makeDatabase()
        let moto = try await MotoS3.endpoint()
        let bucket = try await MotoS3.makeBucket("scale")
        let bin = try HoistBinary.require()
        let root = try TempDirectory.make(prefix: "hoist-scale")
        let secretFile = root + "/secret"
        try TestFiles.write("a secret both instances share, long enough\n", to: secretFile)
        var environment = ProcessInfo.processInfo.environment
        environment["AWS_ACCESS_KEY_ID"] = "testing"
        environment["AWS_SECRET_ACCESS_KEY"] = "testing"
        let made = try await Shell.run("'\(bin)' keys create --database '\(database.url)' --scopes files:create,files:read --persona 100")
        #expect(made.status == 0, "\(made.stderr)")
        var instances: [ChildProcess] = []
        var bases: [String] = []
        for name in ["a", "b"] {
            let child = try await ChildProcess(bin, [
                "serve", "--data", root + "/" + name, "--port", "0", "--database", database.url, "--secret-file", secretFile,
                "--blob-store", "s3://\(bucket)/svc?endpoint=\(moto)&path_style=1",
            ], environment: environment)
            instances.append(child)
            bases.append(try await child.firstLine())
        }
        let service = Service(instances: instances, bases: bases, key: made.stdout.trimmingCharacters(in: .whitespacesAndNewlines),
                              bucket: bucket)
        do {
            try await body(service)
        } catch {
            for child in instances { child.send(SIGKILL) }
            await database.drop()
            throw error
        }
        for child in instances {
            child.send(SIGTERM)
            _ = await child.waitForExit()
        }
        await database.drop()
    }

    /// Runs lifecycles `indices`, at most `width` at once; each call to a random instance.
    /// `afterEach` sees how many have completed.
    static func run(_ indices: Range<Int>, on service: Service, width: Int = 16,
                    afterEach: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let completed = Tally()
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = indices.lowerBound
            func start() {
                let index = next
                next += 1
                group.addTask {
                    try await lifecycle(index, on: service)
                    await afterEach(completed.increment())
                }
            }
            while next < indices.upperBound, next - indices.lowerBound < width { start() }
            while try await group.next() != nil {
                if next < indices.upperBound { start() }
            }
        }
    }

    static func lifecycle(_ index: Int, on service: Service) async throws {
        let body = content(index)
        let created = try await service.anyInstance { base in
            try await LightfieldCalls(baseURL: base, key: service.key).create(filename: "file-\(index).txt", sizeBytes: body.count)
        }
        guard created.status == 200, let id = created.string("id") else {
            throw ChildProcessError(description: "create \(index): \(created.status) \(created.text)")
        }
        let put = try await LightfieldCalls(baseURL: service.bases[0], key: service.key).put(created, body: body)
        guard put.status == 200 else { throw ChildProcessError(description: "PUT \(index): \(put.status) \(put.text)") }
        let done = try await service.anyInstance { base in
            try await LightfieldCalls(baseURL: base, key: service.key).complete(id, md5: MD5Hex.of(body))
        }
        guard done.status == 200 else { throw ChildProcessError(description: "complete \(index): \(done.status) \(done.text)") }
    }

    /// Every completed file, through any instance, page by page.
    static func completedFiles(_ service: Service) async throws -> [[String: Any]] {
        var files: [[String: Any]] = []
        var cursor: String?
        repeat {
            let query = "?status=COMPLETED&limit=1000" + (cursor.map { "&cursor=\($0)" } ?? "")
            let page = try await service.anyInstance { base in try await LightfieldCalls(baseURL: base, key: service.key).list(query) }
            files += (page.json["data"] as? [[String: Any]]) ?? []
            cursor = page.json["nextCursor"] as? String
        } while cursor != nil
        return files
    }

    /// Each of `indices` completed exactly once, with its md5, and downloads byte for byte.
    static func expectCompletedOnce(_ indices: Range<Int>, in files: [[String: Any]], service: Service) async throws {
        var byName: [String: [[String: Any]]] = [:]
        for file in files { byName[file["filename"] as? String ?? "", default: []].append(file) }
        for index in indices {
            let matches = byName["file-\(index).txt"] ?? []
            #expect(matches.count == 1, "file-\(index).txt completed \(matches.count) times")
            guard let file = matches.first, let id = file["id"] as? String else { continue }
            #expect(file["md5"] as? String == MD5Hex.of(content(index)))
            let url = try await service.anyInstance { base in try await LightfieldCalls(baseURL: base, key: service.key).downloadURL(id) }
            let bytes = try await TestHTTP.send(.GET, url.string("url") ?? "")
            #expect(bytes.body == content(index), "file-\(index).txt")
        }
    }

    @Test("200 lifecycles, each call to a random instance: 200 files right and once; kill -9 of one instance mid-run loses nothing")
    func twoInstancesServeAsOne() async throws {
        try await Self.withService { service in
            try await Self.run(0..<200, on: service)
            let first = try await Self.completedFiles(service)
            #expect(first.count == 200)
            try await Self.expectCompletedOnce(0..<200, in: first, service: service)
            // Nothing passed through either instance's disk.
            #expect((try? await MotoS3.keys(bucket: service.bucket).filter { $0.hasPrefix("svc/uploads/fil_") }.count) == 200)

            // 100 more; a third of the way in, instance a is killed -9. Calls to it fail and
            // go to b, which finishes every lifecycle.
            let killed = Tally()
            let victim = service.instances[0]
            try await Self.run(200..<300, on: service) { done in
                if done >= 30, killed.increment() == 1 { victim.send(SIGKILL) }
            }
            #expect(killed.value > 0)
            #expect(await victim.waitForExit() != 0)
            let all = try await Self.completedFiles(service)
            #expect(all.count == 300)
            try await Self.expectCompletedOnce(200..<300, in: all, service: service)
        }
    }
}

/// A counter shared by concurrent tasks.
final class Tally: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    /// Adds one and returns the new count.
    func increment() -> Int { count.withLock { $0 += 1; return $0 } }
}
