import Foundation
import HoistServer
import HoistTestSupport
import Testing

@testable import HoistEngine

/// The engine, unchanged, against a server whose bytes go straight to S3 (moto): both
/// dialects' presigned PUTs go to the bucket, and complete/finalize find them there.
@Suite struct S3BackedServerTests {
    static func withHarness(_ body: (EngineHarness, String) async throws -> Void) async throws {
        let blobs = try await TestS3Blobs.make("srv")
        try await EngineHarness.with(configure: { blobs.apply(to: &$0) }) { harness in try await body(harness, blobs.bucket) }
    }

    @Test func lightfieldAndLuwUploadsLandInTheBucket() async throws {
        try await Self.withHarness { harness, bucket in
            let paths = [
                try harness.file("a.txt", size: 200_000, seed: 1),
                try harness.file("b.txt", size: 3_000_000, seed: 2),
            ]
            let lightfield = try harness.engine(harness.profile(), concurrency: 2)
            let ids = await lightfield.add(paths: paths)
            let events = try await collect(lightfield, ids, timeout: .seconds(60))
            await lightfield.shutdown()
            for (id, path) in zip(ids, paths) {
                let done = try #require(events.completed(id), "\(events.story(id))")
                let local = try Data(contentsOf: URL(fileURLWithPath: path))
                #expect(done.md5 == MD5Hex.of(local))
                #expect(try await MotoS3.object(bucket: bucket, key: "uploads/" + done.id) == local)
            }
            // Nothing went through the server's disk.
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: harness.server.dataDirectory + "/blobs")) ?? []).isEmpty)

            let image = try harness.file("photo.jpg", size: 100_000, seed: 3)
            let luw = try harness.engine(harness.profile(.luw))
            let luwIDs = await luw.add(paths: [image])
            let luwEvents = try await collect(luw, luwIDs, timeout: .seconds(60))
            await luw.shutdown()
            let done = try #require(luwEvents.completed(luwIDs[0]), "\(luwEvents.story(luwIDs[0]))")
            #expect(done.md5 == MD5Hex.of(try Data(contentsOf: URL(fileURLWithPath: image))))
            // Finalized: its bytes moved to a key no upload URL names, and the session's key is empty.
            let keys = try await MotoS3.keys(bucket: bucket)
            #expect(keys.filter { $0.hasPrefix("uploads/upl_") }.isEmpty, "\(keys)")
            let sealed = keys.filter { $0.hasPrefix("objects/upl_") }
            #expect(sealed.count == 1, "\(keys)")
            if let key = sealed.first {
                #expect(try await MotoS3.object(bucket: bucket, key: key) == (try Data(contentsOf: URL(fileURLWithPath: image))))
            }
        }
    }

    /// Every Lightfield URL of an S3-backed server requires `if-none-match: *`, so a retry
    /// of a PUT that landed without its answer is refused 412: the engine cancels that
    /// session, which deletes its bytes, and uploads in a new one.
    @Test func aPutWhoseAnswerWasLostEndsInOneNewSessionAndNoStrayBytes() async throws {
        let blobs = try await TestS3Blobs.make("lost")
        try await FaultProxy.with(upstream: try await MotoS3.endpoint()) { proxy in
            try await EngineHarness.with(configure: { blobs.apply(to: &$0, endpoint: proxy.baseURL) }) { harness in
                let path = try harness.file("lost.txt", size: 5000)
                proxy.inject(.loseAnswer, on: "PUT ")
                let engine = try harness.engine(harness.profile())
                let ids = await engine.add(paths: [path])
                let events = try await collect(engine, ids, timeout: .seconds(60))
                await engine.shutdown()
                let local = try Data(contentsOf: URL(fileURLWithPath: path))
                let done = try #require(events.completed(ids[0]), "\(events.story(ids[0]))")
                #expect(done.md5 == MD5Hex.of(local))
                let puts = proxy.answeredRequests.filter { $0.line.hasPrefix("PUT ") }.map(\.status)
                #expect(puts == [200, 412, 200], "\(puts)")
                let sessions = events.sessions(ids[0])
                #expect(sessions.count == 2 && sessions.last == done.id, "\(sessions)")
                let first = try #require(sessions.first)
                #expect(try await harness.api(harness.profile()).status(first).status == "CANCELLED")
                #expect(try await MotoS3.object(bucket: blobs.bucket, key: "uploads/" + first) == nil)
                #expect(try await MotoS3.object(bucket: blobs.bucket, key: "uploads/" + done.id) == local)
            }
        }
    }

    @Test func cancellingAnUploadDeletesWhatReachedTheBucket() async throws {
        try await Self.withHarness { harness, bucket in
            let path = try harness.file("slow.bin", size: 2_000_000)
            let engine = try harness.engine(harness.profile(), rateLimit: 200_000)
            let ids = await engine.add(paths: [path])
            let events = try await collect(engine, ids, timeout: .seconds(30)) { event in
                if case .progress(let sent, _) = event.kind, sent > 200_000 { await engine.cancel(event.job) }
            }
            await engine.shutdown()
            #expect(events.terminal(ids[0]) == .cancelled)
            let session = try #require(events.sessions(ids[0]).first)
            #expect(try await harness.api(harness.profile()).status(session).status == "CANCELLED")
            #expect(try await MotoS3.object(bucket: bucket, key: "uploads/" + session) == nil)
        }
    }
}
