import Foundation
import HoistTestSupport
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// An S3-compatible store that ignores `Content-MD5` and answers a PUT without an ETag (a
/// proxy in front of it dropped the header, or it never sends one): it keeps what `keep`
/// makes of each body; its HEAD gives the ETag (the MD5) of what it kept, or none
/// (`headETag` false), and its GET the bytes. What moto, which checks `Content-MD5`, cannot
/// be made to do.
final class CarelessStore: Sendable {
    private let objects = Mutex<[String: Data]>([:])
    private let keep: @Sendable (Data) -> Data

    private init(keep: @escaping @Sendable (Data) -> Data) { self.keep = keep }

    /// What the store holds at `path` (`/bucket/key`).
    func object(_ path: String) -> Data? { objects.withLock { $0[path] } }

    /// Runs `body` with a store listening on loopback (its `http://127.0.0.1:PORT`).
    static func with<T: Sendable>(keep: @escaping @Sendable (Data) -> Data, headETag: Bool = true,
                                  _ body: @Sendable (CarelessStore, String) async throws -> T) async throws -> T {
        let store = CarelessStore(keep: keep)
        let router = Router()
        router.put("**") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 64 << 20)
            store.objects.withLock { $0[request.uri.path] = store.keep(Data(bytes.readableBytesView)) }
            return Response(status: .ok)
        }
        router.head("**") { request, _ -> Response in
            guard let kept = store.object(request.uri.path) else { return Response(status: .notFound) }
            let md5 = MD5Hex.of(kept)
            if !headETag { return Response(status: .ok, headers: [.contentLength: String(kept.count)]) }
            return Response(status: .ok, headers: [.eTag: "\"\(md5)\"", .contentLength: String(kept.count)])
        }
        router.get("**") { request, _ -> Response in
            guard let kept = store.object(request.uri.path) else { return Response(status: .notFound) }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: kept)))
        }
        var logger = Logger(label: "careless-store")
        logger.logLevel = .critical
        let (ports, port) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { port.yield($0.localAddress?.port ?? 0); port.finish() }, logger: logger)
        let server = Task { try await app.run() }
        defer { server.cancel() }
        var listening: Int?
        for await bound in ports { listening = bound }
        guard let listening else { throw CancellationError() }
        return try await body(store, "http://127.0.0.1:\(listening)")
    }
}
