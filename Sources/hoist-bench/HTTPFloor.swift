import ArgumentParser
import AsyncHTTPClient
import Foundation
import HoistEngine
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import UnixSignals
import Synchronization

/// The small-file row's floor: a Lightfield lifecycle's three HTTP exchanges (create, a
/// 4 KiB PUT, complete) through the same HTTP stacks hoist uses (Hummingbird serving,
/// AsyncHTTPClient calling, with hoist's client configuration), with the work taken out.
/// The server answers each request with bytes of a real answer's shape and size and
/// stores nothing; the client sends bytes already in memory, reads no file, hashes
/// nothing and keeps no journal. What the two processes spend per lifecycle here is what
/// the libraries alone cost for one small file on this machine.
enum HTTPFloor {
    struct Figures: Sendable {
        var files: Int
        var elapsed: Duration
        var clientCPU: Duration
        var serverCPU: Duration
    }

    /// Runs the floor as two processes beside the measured ones: the server where hoist's
    /// server runs (this process's CPUs, inherited), the client where clients run
    /// (`workspace.client`), `plan.smallFileCount` lifecycles at `plan.hoistJobs` at once.
    static func measure(plan: BenchPlan, workspace: BenchWorkspace, log: (String) -> Void) async throws -> Figures {
        let bench = try ChildProcess.benchExecutable()
        let server = try ServeProcess.launch(bench, ["floor-serve", "--listen", "127.0.0.1:0"], environment: [:])
        defer { server.stop() }
        let endpoint = try server.firstLine()
        let serverBefore = server.cpu ?? .zero
        let client = workspace.client(
            bench, ["floor-client", "--endpoint", endpoint, "--count", String(plan.smallFileCount),
                    "--jobs", String(plan.hoistJobs), "--bytes", String(plan.smallFileBytes)],
            run: "floor", name: "floor-client", timeout: plan.childTimeout)
        let outcome = try await client.run()
        guard outcome.succeeded else {
            let errors = (try? String(contentsOfFile: client.stderrPath, encoding: .utf8)) ?? ""
            throw BenchError("the HTTP floor's client failed (\(outcome.summary)): \(errors.suffix(300))")
        }
        guard let serverAfter = server.cpu else { throw BenchError("the HTTP floor's server exited during the run") }
        let result = Figures(files: plan.smallFileCount, elapsed: outcome.elapsed, clientCPU: outcome.cpu,
                            serverCPU: serverAfter - serverBefore)
        log("small files: HTTP floor \(Report.seconds(result.elapsed)) (client CPU \(Report.seconds(result.clientCPU)), "
            + "server CPU \(Report.seconds(result.serverCPU)))")
        return result
    }

    /// A real create answer's body (360 bytes on `hoist serve`), with an id to echo.
    static func createdBody(id: String, port: Int) -> String {
        #"{"expiresAt":"2026-12-04T15:39:42.473Z","filename":"file-00001.txt","id":"\#(id)","status":"PENDING","#
            + #""uploadHeaders":{"content-type":"text/plain"},"uploadUrl":"http://127.0.0.1:\#(port)/storage/\#(id)/"#
            + #"file-00001.txt?expires=1796398782&h=content-type&sig=f65c2be33b317c31707d322876dbd76024de00b80a04d1c0d8ef031efdabb0fa"}"#
    }

    /// A real complete answer's body (307 bytes).
    static func completedBody(id: String) -> String {
        #"{"completedAt":"2026-12-04T14:39:42.788Z","createdAt":"2026-12-04T14:39:42.473Z","expiresAt":"2026-12-04T15:39:42.473Z","#
            + #""filename":"file-00001.txt","id":"\#(id)","md5":"37be7033cd1d6dc96bc09281c26eeb4a","mimeType":"text/plain","#
            + #""purpose":"general","sizeBytes":4096,"status":"COMPLETED"}"#
    }
}

/// `hoist-bench floor-serve`: the floor's server (see ``HTTPFloor``); prints its base URL.
struct FloorServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "floor-serve", abstract: "Answer a lifecycle's three requests with canned bodies (the small-file floor).",
        shouldDisplay: false)

    @Option(help: "HOST:PORT to listen on (port 0: any).") var listen: String = "127.0.0.1:0"

    func run() async throws {
        let (host, port) = try hostAndPort(listen)
        try await HTTPFloor.serve(host: host, port: port, counter: FloorCounter(), signals: [.sigterm, .sigint]) { port in
            FileHandle.standardOutput.write(Data("http://127.0.0.1:\(port)\n".utf8))
        }
    }
}

extension HTTPFloor {
    /// Serves the floor's three routes until the task is cancelled, or one of `signals`
    /// arrives (none in tests: the test process keeps its own); `bound` gets the port once
    /// it listens. `counter` counts the PUT bodies' bytes.
    static func serve(host: String, port: Int, counter: FloorCounter, signals: [UnixSignal] = [],
                      bound: @escaping @Sendable (Int) -> Void) async throws {
        let boundPort = BoundPort()
        let router = Router()
        router.post("v1/files") { request, _ -> Response in
            _ = try await request.body.collect(upTo: 64 * 1024)
            let id = "fil_" + UUID().uuidString.prefix(24).lowercased()
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: createdBody(id: id, port: boundPort.value))))
        }
        router.put("storage/:id/:name") { request, _ -> Response in
            var received = 0
            for try await part in request.body { received += part.readableBytes }
            counter.add(received)
            return Response(status: .ok, headers: [.eTag: "\"37be7033cd1d6dc96bc09281c26eeb4a\""])
        }
        router.post("v1/files/:id/complete") { request, context -> Response in
            _ = try await request.body.collect(upTo: 64 * 1024)
            let id = context.parameters.get("id") ?? ""
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: completedBody(id: id))))
        }
        // Quiet: a cancelled test server's shutdown is not an error worth a line.
        var logger = Logger(label: "hoist-bench.floor")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "hoist"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                boundPort.value = port
                bound(port)
            },
            logger: logger)
        try await app.runService(gracefulShutdownSignals: signals)
    }
}

/// Bytes the floor's server received in PUT bodies: a floor that dropped the bodies would
/// measure less than the lifecycle.
final class FloorCounter: Sendable {
    private let bytes = Mutex(0)
    func add(_ count: Int) { bytes.withLock { $0 += count } }
    var total: Int { bytes.withLock { $0 } }
}

/// The port the floor's server bound (set once it listens), read by its handlers.
private final class BoundPort: Sendable {
    private let port = Atomic(0)
    var value: Int {
        get { port.load(ordering: .acquiring) }
        set { port.store(newValue, ordering: .releasing) }
    }
}

/// `hoist-bench floor-client`: the floor's client (see ``HTTPFloor``): `--count`
/// lifecycles, `--jobs` at once, each three requests on hoist's client configuration.
struct FloorClient: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "floor-client", abstract: "Run lifecycles' three requests against floor-serve (the small-file floor).",
        shouldDisplay: false)

    @Option(help: "The floor server's base URL.") var endpoint: String
    @Option(help: "Lifecycles to run.") var count: Int = 2000
    @Option(help: "Lifecycles at once.") var jobs: Int = 16
    @Option(help: "Bytes of each PUT.") var bytes: Int = 4096

    func run() async throws {
        let elapsed = try await HTTPFloor.lifecycles(endpoint: endpoint, count: count, jobs: jobs, bytes: bytes)
        print("\(count) lifecycles in \(elapsed)")
    }
}

extension HTTPFloor {
    /// Runs `count` lifecycles against the floor's server at `endpoint`, `jobs` at once, on
    /// hoist's client settings; returns how long they took. Throws on any answer but 2xx.
    static func lifecycles(endpoint: String, count: Int, jobs: Int, bytes: Int) async throws -> Duration {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: HTTPTransport.clientConfiguration)
        let body = ByteBuffer(repeating: UInt8(ascii: "x"), count: bytes)
        let next = Counter(limit: count)
        let started = ContinuousClock.now
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<max(1, jobs) {
                    group.addTask {
                        while let index = next.take() { try await lifecycle(index, client: client, endpoint: endpoint, body: body) }
                    }
                }
                try await group.waitForAll()
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        let elapsed = ContinuousClock.now - started
        try await client.shutdown()
        return elapsed
    }

    /// One lifecycle, each call the way hoist makes it: create and complete as
    /// `HTTPClientRequest`s whose answers are collected whole (`HTTPTransport.send`), the
    /// PUT as an `HTTPClient.Request` run with a delegate (`FileUploader.send`).
    private static func lifecycle(_ index: Int, client: HTTPClient, endpoint: String, body: ByteBuffer) async throws {
        let name = String(format: "file-%05d.txt", index)
        let created = try await api(client, endpoint + "/v1/files",
                                    #"{"filename":"\#(name)","mimeType":"text/plain","purpose":"general","sizeBytes":\#(body.readableBytes)}"#)
        guard let answer = try JSONSerialization.jsonObject(with: Data(created.readableBytesView)) as? [String: Any],
              let id = answer["id"] as? String, let url = answer["uploadUrl"] as? String
        else { throw BenchError("the floor's create answered no id and uploadUrl") }
        let put = try HTTPClient.Request(url: url, method: .PUT, headers: ["content-type": "text/plain"], body: .byteBuffer(body))
        let response = try await client.execute(request: put, delegate: ResponseAccumulator(request: put), deadline: .now() + .hours(1)).get()
        guard (200..<300).contains(response.status.code) else { throw BenchError("the floor's PUT answered \(response.status)") }
        _ = try await api(client, endpoint + "/v1/files/\(id)/complete", #"{"md5":"37be7033cd1d6dc96bc09281c26eeb4a"}"#)
    }

    /// A POST with a JSON body and Lightfield's headers; the answer's body, collected.
    private static func api(_ client: HTTPClient, _ url: String, _ json: String) async throws -> ByteBuffer {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer hk_0123456789abcdef0123456789abcdef")
        request.headers.add(name: "Lightfield-Version", value: "2026-03-01")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: json))
        let response = try await client.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 4 << 20)
        guard (200..<300).contains(response.status.code) else { throw BenchError("the floor answered \(response.status)") }
        return body
    }
}

/// Hands out 0..<limit once each, to any task.
private final class Counter: Sendable {
    private let next = Mutex(0)
    private let limit: Int
    init(limit: Int) { self.limit = limit }
    func take() -> Int? {
        next.withLock { next in
            guard next < limit else { return nil }
            next += 1
            return next - 1
        }
    }
}
