import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization
import _NIOFileSystem

/// Streams one file to a signed URL with exactly the session's headers, never the API key.
struct FileUploader: Sendable {
    let client: HTTPClient
    let limiter: RateLimiter?
    let clock: any EngineClock
    let chunkSize: Int
    let progressInterval: Duration

    /// Uploads `file` and returns the MD5 of what was sent. Fails with `fileChanged` or
    /// `fileVanished` when the file on disk is no longer the one that was queued.
    func upload(_ file: FileIdentity, to session: RemoteSession, onProgress: @escaping @Sendable (Int64) -> Void) async throws(EngineError) -> String {
        try Self.check(file)
        let digest = Mutex<String?>(nil)
        do {
            try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(file.path)) { handle in
                var request = HTTPClientRequest(url: session.uploadURL)
                request.method = .PUT
                for header in session.uploadHeaders { request.headers.add(name: header.name, value: header.value) }
                let body = UploadBody(
                    chunks: handle.readChunks(in: 0..<file.size, chunkLength: .bytes(Int64(chunkSize))),
                    expectedSize: file.size, path: file.path, limiter: limiter, clock: clock,
                    progressInterval: progressInterval, onProgress: onProgress,
                    onFinish: { md5 in digest.withLock { $0 = md5 } })
                request.body = .stream(body, length: .known(file.size))
                let answer = try await HTTPTransport.send(request, client: client, timeout: .hours(24))
                guard answer.isSuccess else { throw HTTPTransport.failure(answer) }
            }
        } catch let error as FileSystemError where error.code == .notFound {
            throw .fileVanished(file.path)
        } catch {
            let mapped = HTTPTransport.map(error)
            // A body error (file shrank) surfaces from the client wrapped; the file tells the truth.
            if !mapped.isCancellation { try Self.check(file) }
            throw mapped
        }
        try Self.check(file)
        guard let md5 = digest.withLock({ $0 }) else { throw .protocolViolation("server accepted an incomplete body") }
        return md5
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
