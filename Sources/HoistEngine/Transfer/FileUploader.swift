import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization
import _NIOFileSystem

/// Streams one file to a signed URL with exactly the session's headers, never the API key.
///
/// Progress is what the connection has taken (see `PutDelegate`), and the final report
/// (`sent == total`) is made only after the server's 2xx answer. While the PUT streams, the
/// file is checked every `fileCheckInterval` on the engine clock: a file that changes or
/// vanishes stops its PUT then, not after the last byte.
struct FileUploader: Sendable {
    let client: HTTPClient
    let limiter: RateLimiter?
    let clock: any EngineClock
    let chunkSize: Int
    let progressInterval: Duration
    var fileCheckInterval: Duration = .milliseconds(500)
    /// A PUT that moves no byte for this long is given up (``StallWatch``), and retried.
    var stallTimeout: Duration = .seconds(60)

    /// Uploads `file` to `target` and returns what was sent (its MD5) and what the store
    /// answered. Fails with `fileChanged` or `fileVanished` when the file on disk is no
    /// longer the one that was queued.
    func upload(_ file: FileIdentity, to target: PutTarget, onProgress: @escaping @Sendable (Int64) -> Void) async throws(EngineError) -> Sent {
        let sent = try await watching(file, url: target.url) {
            try await put(file, range: 0..<file.size, to: target, onProgress: onProgress)
        }
        onProgress(file.size)
        return sent
    }

    /// Runs `body` while checking `file` every `fileCheckInterval`: a change or a vanished
    /// file stops it then. Errors are mapped for `url` (the PUT's). `since`: the change
    /// stamp the file must still have (one taken before earlier reads of it); by default
    /// the one it has now.
    func watching<T: Sendable>(_ file: FileIdentity, url: String, since: FileIdentity.ChangeStamp? = nil,
                               _ body: @escaping @Sendable () async throws -> T) async throws(EngineError) -> T {
        let stamp = try Self.check(file, stamp: since)
        let value: T
        do {
            value = try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { try await body() }
                group.addTask {
                    try await watch(file, stamp: stamp)
                    return nil
                }
                defer { group.cancelAll() }
                while let result = try await group.next() {
                    if let value = result { return value }
                }
                throw EngineError.protocolViolation("upload ended without an answer")
            }
        } catch let error as FileSystemError where error.code == .notFound {
            throw .fileVanished(file.path)
        } catch {
            let mapped = HTTPTransport.map(error, url: url)
            // A body error (file shrank) surfaces from the client wrapped; the file tells the truth.
            if !mapped.isCancellation { try Self.check(file, stamp: stamp) }
            throw mapped
        }
        try Self.check(file, stamp: stamp)
        return value
    }

    static let emptyMD5 = "d41d8cd98f00b204e9800998ecf8427e"

    /// What one PUT sent and what the store answered.
    struct Sent: Sendable {
        var md5: String
        var etag: String?
        /// The store's own MD5 of the body, where its answer gives one (see `S3ETag.md5(in:)`).
        var storedMD5: String?
        /// The answer says the object is encrypted so that its ETag is not its MD5.
        var encrypted: Bool

        init(md5: String, answer: HTTPTransport.Answer) {
            self.md5 = md5
            etag = answer.headers.first(name: "ETag")
            storedMD5 = S3ETag.md5(in: answer.headers)
            encrypted = S3ETag.encrypted(answer.headers)
        }
    }

    /// One PUT of `range` of the file: the body streams from the file (a range of at most one
    /// chunk is read whole first, see `WholeBody`) while the delegate counts what the socket
    /// took (`onProgress` gets bytes of this range).
    ///
    /// `readAhead`: the file is read through NIO's `readChunks`, up to eight chunks ahead of
    /// the socket (one large PUT); without it one chunk at a time (`ChunksOnDemand`: a
    /// multipart upload's parts, several at once).
    func put(_ file: FileIdentity, range: Range<Int64>, to target: PutTarget, readAhead: Bool = true,
             onProgress: @escaping @Sendable (Int64) -> Void) async throws -> Sent {
        let length = range.upperBound - range.lowerBound
        // One chunk or less goes as one buffer (see `WholeBody`); an empty body keeps the
        // stream, which sends nothing and knows the empty digest.
        if length > 0, length <= Int64(chunkSize) { return try await putWhole(file, range: range, to: target, onProgress: onProgress) }
        return try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(file.path)) { handle in
            let stall = StallWatch()
            let body = UploadBody(
                chunks: ChunksOnDemand.chunks(of: handle, in: range, chunkLength: Int64(chunkSize), readAhead: readAhead),
                expectedSize: length, path: file.path, limiter: limiter, stall: stall)
            let digest = Mutex<String?>(nil)
            let producer = Mutex<Task<Void, Never>?>(nil)
            let eventLoop = client.eventLoopGroup.any()
            let request = try Self.request(to: target, body: .stream(contentLength: length) { writer in
                let done = UploadBody.BodyEnd(eventLoop.makePromise(of: Void.self))
                // The producer's own end, kept apart from the body's: the body may end
                // (its last write taken) while this task has yet to run again.
                let task = eventLoop.makePromise(of: Void.self).completeWithTask {
                    do {
                        try await body.write(to: writer, done: done) { md5 in digest.withLock { $0 = md5 } }
                        done.succeed()
                    } catch {
                        done.fail(error)
                        throw error
                    }
                }
                producer.withLock { $0 = task }
                return done.future
            })
            let outcome: Result<HTTPTransport.Answer, any Error>
            do {
                outcome = .success(try await send(request, total: length, stall: stall, onProgress: onProgress))
            } catch {
                outcome = .failure(error)
            }
            // The body task may still wait on the limiter; it must not outlive the file handle.
            let running = producer.withLock { $0 }
            running?.cancel()
            await running?.value
            let answer = try outcome.get()
            // An empty body is never streamed, so its digest is the empty one.
            guard let md5 = digest.withLock({ $0 }) ?? (length == 0 ? Self.emptyMD5 : nil) else {
                throw EngineError.protocolViolation("server accepted an incomplete body")
            }
            return Sent(md5: md5, answer: answer)
        }
    }

    /// One PUT of a range no longer than a chunk: read and hashed whole, then sent as one
    /// buffer, the same bytes and the same rate limiting as the one chunk the stream would send.
    private func putWhole(_ file: FileIdentity, range: Range<Int64>, to target: PutTarget,
                          onProgress: @escaping @Sendable (Int64) -> Void) async throws -> Sent {
        let body = try await WholeBody.read(file.path, range: range)
        if let limiter { try await limiter.acquire(body.bytes.readableBytes) }
        let request = try Self.request(to: target, body: .byteBuffer(body.bytes))
        let answer = try await send(request, total: Int64(body.bytes.readableBytes), stall: StallWatch(), onProgress: onProgress)
        return Sent(md5: body.md5, answer: answer)
    }

    /// A PUT of `body` to the signed URL with exactly the session's headers.
    private static func request(to target: PutTarget, body: HTTPClient.Body) throws -> HTTPClient.Request {
        var request = try HTTPClient.Request(url: target.url, method: .PUT, body: body)
        for header in target.headers { request.headers.add(name: header.name, value: header.value) }
        return request
    }

    /// Sends a PUT whose body is `total` bytes and returns its 2xx answer; any other answer
    /// is the server's error. Cancelling the caller cancels the request; so does a stall
    /// (`stallTimeout` without a byte moving), as a network error the retry policy takes.
    private func send(_ request: HTTPClient.Request, total: Int64, stall: StallWatch,
                      onProgress: @escaping @Sendable (Int64) -> Void) async throws -> HTTPTransport.Answer {
        let delegate = PutDelegate(total: total, clock: clock, progressInterval: progressInterval, stall: stall, onProgress: onProgress)
        let task = client.execute(request: request, delegate: delegate, deadline: .now() + .hours(24))
        let limit = stallTimeout
        let watchdog = Task {
            guard await stall.watch(limit: limit) else { return false }
            task.cancel()
            return true
        }
        let result: Result<HTTPTransport.Answer, any Error>
        do {
            result = .success(try await withTaskCancellationHandler { try await task.get() } onCancel: { task.cancel() })
        } catch {
            result = .failure(error)
        }
        watchdog.cancel()
        // A stall is reported only for a PUT that failed: an answer that came as the
        // watchdog fired is the answer.
        if await watchdog.value, case .failure = result {
            throw EngineError.network("nothing moved for \(Int(limit.components.seconds)) s: the server stopped taking the upload")
        }
        let answer = try result.get()
        guard answer.isSuccess else { throw HTTPTransport.failure(answer, url: request.url.absoluteString) }
        return answer
    }

    /// Checks the file every `fileCheckInterval` until cancelled; throws as soon as it changed.
    private func watch(_ file: FileIdentity, stamp: FileIdentity.ChangeStamp) async throws {
        while true {
            try await clock.sleep(for: fileCheckInterval)
            try Self.check(file, stamp: stamp)
        }
    }

    /// Throws unless the file still has the identity it was queued with and, when `stamp`
    /// is given, the change stamp it had when its read began (a write whose mtime was put
    /// back changes only that). Returns the stamp it saw.
    @discardableResult
    static func check(_ file: FileIdentity, stamp: FileIdentity.ChangeStamp? = nil) throws(EngineError) -> FileIdentity.ChangeStamp {
        let now: (identity: FileIdentity, stamp: FileIdentity.ChangeStamp)
        do {
            now = try FileIdentity.observe(file.path)
        } catch {
            throw .fileVanished(file.path)
        }
        guard now.identity == file, stamp.map({ $0 == now.stamp }) ?? true else { throw .fileChanged(file.path) }
        return now.stamp
    }
}
