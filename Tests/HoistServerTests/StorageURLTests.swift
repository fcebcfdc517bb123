import AsyncHTTPClient
import Foundation
import HoistTestSupport
import NIOCore
import Synchronization
import Testing

@testable import HoistServer

@Suite("Signed storage URLs")
struct StorageURLTests {
    @Test("a tampered signature, expiry (also the same one spelt +N or 0N) or path → 403 signature_mismatch", .diskBlobsOnly)
    func tampered() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await lf.create(sizeBytes: 3)
            let url = try #require(created.string("uploadUrl"))
            let variants = [
                url.replacingOccurrences(of: "sig=", with: "sig=0"),
                String(url.dropLast()) + (url.hasSuffix("0") ? "1" : "0"),
                url.replacingOccurrences(of: "expires=", with: "expires=9"),
                // The same expiry spelt otherwise is not the URL that was signed.
                url.replacingOccurrences(of: "expires=", with: "expires=0"),
                url.replacingOccurrences(of: "expires=", with: "expires=%2B"),
                url.replacingOccurrences(of: "/notes.txt", with: "/other.txt"),
                String(url[..<(url.range(of: "?")?.lowerBound ?? url.endIndex)]),
            ]
            for variant in variants {
                let put = try await TestHTTP.send(.PUT, variant, headers: [("content-type", "text/plain")], body: Data("abc".utf8))
                #expect(put.status == 403, "\(variant)")
                #expect(put.errorCode == "signature_mismatch")
            }
            #expect(try await lf.complete(try #require(created.string("id"))).errorCode == "upload_missing")
        }
    }

    @Test("a missing or altered signed header → 403", .diskBlobsOnly)
    func signedHeaders() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await lf.create(sizeBytes: 3)
            let altered = try await lf.put(created, body: Data("abc".utf8), override: ["content-type": "text/html"])
            #expect(altered.status == 403)
            #expect(altered.errorCode == "signature_mismatch")
            let missing = try await lf.put(created, body: Data("abc".utf8), override: ["content-type": nil])
            #expect(missing.status == 403)
            #expect((missing.json["error"] as? [String: Any])?["message"] as? String == "the signed header content-type is missing")
            #expect(try await lf.put(created, body: Data("abc".utf8)).status == 200)
        }
    }

    @Test("past expiry: PUT → 403 expired, complete → 409 expired, status EXPIRED", .diskBlobsOnly)
    func expiry() async throws {
        let clock = ManualClock()
        try await TestServer.with(sessionTTL: 60, clock: clock) { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await lf.create(sizeBytes: 3)
            let id = try #require(created.string("id"))
            clock.advance(by: 61)
            let put = try await lf.put(created, body: Data("abc".utf8))
            #expect(put.status == 403)
            #expect(put.errorCode == "expired")
            #expect((put.json["error"] as? [String: Any])?["message"] as? String == "the signed URL has expired")
            let complete = try await lf.complete(id)
            #expect(complete.status == 409)
            #expect(complete.errorCode == "expired")
            #expect(try await lf.metadata(id).string("status") == "EXPIRED")
        }
    }

    @Test("bytes stored before expiry are dropped by the sweeper once the session expired")
    func sweeperExpires() async throws {
        let clock = ManualClock()
        try await TestServer.with(sessionTTL: 60, clock: clock) { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await lf.create(sizeBytes: 3)
            _ = try await lf.put(created, body: Data("abc".utf8))
            #expect(try await ts.storedBlobCount() == 1)
            clock.advance(by: 61)
            try await ts.server.sweep()
            #expect(try await ts.storedBlobCount() == 0)
            #expect(try await lf.metadata(try #require(created.string("id"))).string("status") == "EXPIRED")
        }
    }

    @Test("a body larger than declared → 413, by Content-Length or while streaming", .diskBlobsOnly)
    func oversize() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await lf.create(sizeBytes: 3)
            let put = try await lf.put(created, body: Data("abcd".utf8))
            #expect(put.status == 413)
            #expect(put.errorCode == "too_large")

            // Chunked: no Content-Length, so the server finds out while streaming.
            var request = HTTPClientRequest(url: try #require(created.string("uploadUrl")))
            request.method = .PUT
            request.headers.add(name: "content-type", value: "text/plain")
            let chunks = [ByteBuffer(string: "ab"), ByteBuffer(string: "cd")]
            request.body = .stream(chunks.async, length: .unknown)
            let streamed = try await TestHTTP.execute(request)
            #expect(streamed.status == 413)
            // Neither refused body still holds memory kept for small bodies.
            #expect(await waitUntil { ts.server.state.heldBodies.left == HeldBodyBudget.defaultBytes })
            #expect(try await lf.complete(try #require(created.string("id"))).errorCode == "upload_missing")
            #expect(try FileManager.default.contentsOfDirectory(atPath: ts.dataDirectory + "/tmp").isEmpty)
            #expect(await waitUntil { ts.openTemporaryBodies() == [] })
        }
    }

    @Test("a body the disk cannot put in place → 500, no file left behind, and the session takes the PUT again", .diskBlobsOnly)
    func blobNotPlaced() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            // Larger than a body the database keeps (SmallBodyTests): this one needs a file.
            let body = Data(repeating: 0x61, count: 64 * 1024 + 1)
            let created = try await lf.create(sizeBytes: body.count)
            let id = try #require(created.string("id"))
            // A file where the blob directory was: the rename into it fails (ENOTDIR).
            let blobs = ts.dataDirectory + "/blobs"
            try FileManager.default.moveItem(atPath: blobs, toPath: blobs + ".away")
            try TestFiles.write(Data(), to: blobs)
            let failed = try await lf.put(created, body: body)
            #expect(failed.status == 500)
            #expect(failed.errorCode == "internal_error")
            #expect(try FileManager.default.contentsOfDirectory(atPath: ts.dataDirectory + "/tmp").isEmpty)
            // Nor a temporary file without a name, still open.
            #expect(ts.openTemporaryBodies() == [])
            #expect(try await lf.metadata(id).string("status") == "PENDING")

            try FileManager.default.removeItem(atPath: blobs)
            try FileManager.default.moveItem(atPath: blobs + ".away", toPath: blobs)
            #expect(try await lf.put(created, body: body).status == 200)
            #expect(try await lf.complete(id).string("status") == "COMPLETED")
            #expect(try await ts.storedBlobCount() == 1)
        }
    }

    /// A PUT of 20 chunks of 96 KiB to a new session, held after its first chunk until
    /// `rest` finishes (and, with `tail`, after its second until that finishes), once its
    /// first bytes are in the server's temporary file. Chunks larger than a body the
    /// database keeps (SmallBodyTests): the first alone sends the body to a file, where the
    /// test can see it arrive. `answered` is set when the PUT has its answer.
    static func heldPut(_ ts: TestServer, rest: AsyncStream<Void>, tail: AsyncStream<Void>? = nil, answered: Answered = Answered())
        async throws -> (created: HTTPResult, id: String, put: Task<HTTPResult, any Error>)
    {
        let chunk = 96 * 1024
        let size = chunk * 20
        let created = try await LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            .create(purpose: "general", filename: "slow.bin", mimeType: "application/octet-stream", sizeBytes: size)
        let id = try #require(created.string("id"))
        var request = HTTPClientRequest(url: try #require(created.string("uploadUrl")))
        request.method = .PUT
        request.headers.add(name: "content-type", value: "application/octet-stream")
        request.body = .stream(PausedBody(chunks: 20, size: chunk, rest: rest, tail: tail), length: .known(Int64(size)))
        let put = Task {
            defer { answered.set() }
            return try await TestHTTP.execute(request)
        }
        try #require(await waitUntil { ts.openTemporaryBodies()?.contains { $0 > 0 } == true }, "the PUT's first chunk never reached the server")
        return (created, id, put)
    }

    @Test("cancel while a PUT is streaming cuts it off with 409 not_pending and keeps none of its bytes", .diskBlobsOnly)
    func cancelDuringPut() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let rest = AsyncStream<Void>.makeStream()
            // Whatever happens, the body ends, so the server can shut down.
            defer { rest.continuation.finish() }
            let (_, id, putTask) = try await Self.heldPut(ts, rest: rest.stream)
            let cancelled = try await lf.cancel(id)
            rest.continuation.finish()
            #expect(cancelled.string("status") == "CANCELLED")
            let put = try? await putTask.value
            // The server answers 409 at once; a client still writing may instead see the
            // connection close. Either way nothing was stored.
            if let put {
                #expect(put.status == 409)
                #expect(put.errorCode == "not_pending")
            }
            #expect(try await lf.metadata(id).string("status") == "CANCELLED")
            #expect(try await ts.storedBlobCount() == 0)
            #expect(try FileManager.default.contentsOfDirectory(atPath: ts.dataDirectory + "/tmp").isEmpty)
            #expect(await waitUntil { ts.openTemporaryBodies() == [] })
        }
    }

    @Test("cancel cuts off a PUT paused mid-body at once: it is answered, and its temporary file gone, with no byte more from its client", .diskBlobsOnly)
    func cancelDuringPausedPut() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let rest = AsyncStream<Void>.makeStream()
            defer { rest.continuation.finish() }
            let answered = Answered()
            let (_, id, putTask) = try await Self.heldPut(ts, rest: rest.stream, answered: answered)
            #expect(try await lf.cancel(id).string("status") == "CANCELLED")
            // The body stays paused: the answer comes now, not at the body timeout (60 s).
            #expect(await waitUntil(timeout: 10) { answered.isSet }, "the paused PUT was not cut off")
            #expect(await waitUntil(timeout: 10) { ts.openTemporaryBodies() == [] }, "its temporary file is still open")
            rest.continuation.finish()
            // Answered 409 (a client still writing may see the connection close instead).
            if let put = try? await putTask.value {
                #expect(put.status == 409 && put.errorCode == "not_pending", "\(put.text)")
            }
            #expect(try await lf.metadata(id).string("status") == "CANCELLED")
            #expect(try await ts.storedBlobCount() == 0)
        }
    }

    @Test("cancel cuts off a streaming PUT at its next chunk, also after another PUT to the same session began and ended meanwhile", .diskBlobsOnly)
    func cancelDuringPutAfterAnotherPut() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let rest = AsyncStream<Void>.makeStream(), tail = AsyncStream<Void>.makeStream()
            defer {
                rest.continuation.finish()
                tail.continuation.finish()
            }
            let answered = Answered()
            let (created, id, putTask) = try await Self.heldPut(ts, rest: rest.stream, tail: tail.stream, answered: answered)
            // Another PUT to the same URL, begun and answered while the first streams.
            #expect(try await lf.put(created, body: Data("x".utf8)).status == 200)
            #expect(try await lf.cancel(id).string("status") == "CANCELLED")
            // One more chunk, then the body holds: the answer must come without the rest.
            rest.continuation.finish()
            #expect(await waitUntil { answered.isSet }, "the PUT went on after the cancel, waiting for the rest of its body")
            tail.continuation.finish()
            if let put = try? await putTask.value {
                #expect(put.status == 409 && put.errorCode == "not_pending", "\(put.text)")
            }
            #expect(try await lf.metadata(id).string("status") == "CANCELLED")
            #expect(await waitUntil { ts.openTemporaryBodies() == [] })
        }
    }
}

/// Set once a request has its answer, for a test that must see that without awaiting it.
final class Answered: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

/// A body of `chunks` chunks of `size` bytes that sends the first, then waits until `rest`
/// finishes before sending the others: a PUT the test holds mid-stream. With `tail`, it
/// holds again after the second chunk until that one finishes.
struct PausedBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let chunks: Int
    let size: Int
    let rest: AsyncStream<Void>
    var tail: AsyncStream<Void>?

    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: Int
        let chunks: Int
        let size: Int
        let rest: AsyncStream<Void>
        let tail: AsyncStream<Void>?

        mutating func next() async throws -> ByteBuffer? {
            guard remaining > 0 else { return nil }
            if remaining == chunks - 1 { for await _ in rest {} }
            if remaining == chunks - 2, let tail { for await _ in tail {} }
            remaining -= 1
            return ByteBuffer(repeating: 0x61, count: size)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(remaining: chunks, chunks: chunks, size: size, rest: rest, tail: tail) }
}

extension Array where Element: Sendable {
    /// The elements as an async sequence, for streamed request bodies.
    var async: AsyncStream<Element> {
        AsyncStream { continuation in
            for element in self { continuation.yield(element) }
            continuation.finish()
        }
    }
}
