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

    /// Uploads `file` and returns the MD5 of what was sent. Fails with `fileChanged` or
    /// `fileVanished` when the file on disk is no longer the one that was queued.
    func upload(_ file: FileIdentity, to session: RemoteSession, onProgress: @escaping @Sendable (Int64) -> Void) async throws(EngineError) -> String {
        try Self.check(file)
        let md5: String
        do {
            md5 = try await withThrowingTaskGroup(of: String?.self) { group in
                group.addTask { try await put(file, to: session, onProgress: onProgress) }
                group.addTask { try await watch(file) }
                defer { group.cancelAll() }
                while let result = try await group.next() {
                    if let md5 = result { return md5 }
                }
                throw EngineError.protocolViolation("upload ended without an answer")
            }
        } catch let error as FileSystemError where error.code == .notFound {
            throw .fileVanished(file.path)
        } catch {
            let mapped = HTTPTransport.map(error, url: session.uploadURL)
            // A body error (file shrank) surfaces from the client wrapped; the file tells the truth.
            if !mapped.isCancellation { try Self.check(file) }
            throw mapped
        }
        try Self.check(file)
        onProgress(file.size)
        return md5
    }

    /// One PUT: the body streams from the file while the delegate counts what the socket took.
    private func put(_ file: FileIdentity, to session: RemoteSession, onProgress: @escaping @Sendable (Int64) -> Void) async throws -> String {
        try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(file.path)) { handle in
            let body = UploadBody(
                chunks: handle.readChunks(in: 0..<file.size, chunkLength: .bytes(Int64(chunkSize))),
                expectedSize: file.size, path: file.path, limiter: limiter)
            let digest = Mutex<String?>(nil)
            let producer = Mutex<Task<Void, Never>?>(nil)
            let eventLoop = client.eventLoopGroup.any()
            var request = try HTTPClient.Request(
                url: session.uploadURL, method: .PUT,
                body: .stream(contentLength: file.size) { writer in
                    let promise = eventLoop.makePromise(of: Void.self)
                    let task = promise.completeWithTask {
                        let md5 = try await body.write(to: writer)
                        digest.withLock { $0 = md5 }
                    }
                    producer.withLock { $0 = task }
                    return promise.futureResult
                })
            for header in session.uploadHeaders { request.headers.add(name: header.name, value: header.value) }
            let delegate = PutDelegate(total: file.size, clock: clock, progressInterval: progressInterval, onProgress: onProgress)
            let task = client.execute(request: request, delegate: delegate, deadline: .now() + .hours(24))
            let outcome: Result<HTTPTransport.Answer, any Error>
            do {
                outcome = .success(try await withTaskCancellationHandler { try await task.get() } onCancel: { task.cancel() })
            } catch {
                outcome = .failure(error)
            }
            // The body task may still wait on the limiter; it must not outlive the file handle.
            let running = producer.withLock { $0 }
            running?.cancel()
            await running?.value
            let answer = try outcome.get()
            guard answer.isSuccess else { throw HTTPTransport.failure(answer) }
            guard let md5 = digest.withLock({ $0 }) else { throw EngineError.protocolViolation("server accepted an incomplete body") }
            return md5
        }
    }

    /// Checks the file every `fileCheckInterval` until cancelled; throws as soon as it changed.
    private func watch(_ file: FileIdentity) async throws -> String? {
        while true {
            try await clock.sleep(for: fileCheckInterval)
            try Self.check(file)
        }
    }

    /// Throws unless the file still has the identity it was queued with.
    static func check(_ file: FileIdentity) throws(EngineError) {
        let now: FileIdentity
        do {
            now = try FileIdentity.of(file.path)
        } catch {
            throw .fileVanished(file.path)
        }
        guard now == file else { throw .fileChanged(file.path) }
    }
}
