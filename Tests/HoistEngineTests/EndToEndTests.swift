import Foundation
import HoistServer
import HoistTestSupport
import Synchronization
import Testing

@testable import HoistEngine

@Suite struct EngineEndToEndTests {
    @Test func lightfieldDirectoryUploadsCompleteWithTheirMD5OnTheServer() async throws {
        try await EngineHarness.with { harness in
            let big = try harness.file("docs/big.txt", size: 1_300_000)
            let small = try harness.file("docs/sub/small.txt", size: 10, seed: 3)
            try harness.file("docs/.hidden.txt", size: 5)
            let profile = harness.profile()
            let engine = try harness.engine(profile)
            let ids = await engine.add(paths: [harness.files + "/docs"])
            #expect(ids.count == 2)
            let events = try await collect(engine, ids)
            await engine.shutdown()
            for (id, path) in zip(ids, [big, small]) {
                let done = try #require(events.completed(id), "job for \(path): \(events.kinds(id))")
                let remote = try await harness.api(profile).status(done.id)
                #expect(remote.status == "COMPLETED")
                #expect(remote.md5 == (try EngineHarness.md5(path)))
                #expect(done.md5 == remote.md5)
                let paths = Set(events.filter { $0.job == id }.map(\.path))
                #expect(paths == [path])
            }
            // Progress ends on the full size, and completing precedes completed.
            let kinds = events.kinds(ids[0])
            #expect(kinds.contains(.progress(sent: 1_300_000, total: 1_300_000)))
            #expect(kinds.firstIndex(of: .completing) ?? 99 < kinds.count - 1)
            #expect(kinds.first == .queued(size: 1_300_000))
        }
    }

    @Test func luwUploadIsServedAtItsFinalURLAndTemporaryNamesArePrefixed() async throws {
        try await EngineHarness.with { harness in
            let image = try harness.file("photo.png", size: 70_000)
            var profile = harness.profile(.luw)
            profile.temporary = true
            let engine = try harness.engine(profile)
            let ids = await engine.add(paths: [image])
            let events = try await collect(engine, ids)
            await engine.shutdown()
            let done = try #require(events.completed(ids[0]), "\(events.kinds(ids[0]))")
            #expect(done.id.hasSuffix("/luwai/100/x12tmp-photo.png"))
            let served = try await TestHTTP.send(.GET, done.id)
            #expect(served.status == 200)
            #expect(served.body == (try Data(contentsOf: URL(fileURLWithPath: image))))
            #expect(served.header("content-type") == "image/png")
            #expect(done.md5 == (try EngineHarness.md5(image)))
        }
    }

    @Test func localValidationFailsBeforeAnyNetworkCall() async throws {
        try await EngineHarness.with { harness in
            let text = try harness.file("notes.txt", size: 100)
            let luw = try harness.engine(harness.profile(.luw))
            let ids = await luw.add(paths: [text, harness.files + "/missing.png"])
            let events = try await collect(luw, ids)
            await luw.shutdown()
            guard case .failed(let unsupported)? = events.terminal(ids[0]) else { Issue.record("\(events)"); return }
            #expect(unsupported.description.contains("unsupported file type"))
            #expect(events.terminal(ids[1]) == .failed(.fileNotFound(harness.files + "/missing.png")))
            #expect(events.sessions(ids[0]).isEmpty)

            let transcripts = try harness.engine(harness.profile(purpose: "meeting_transcript"))
            let png = try harness.file("x.png", size: 10)
            let more = await transcripts.add(paths: [png])
            let refused = try await collect(transcripts, more)
            await transcripts.shutdown()
            #expect(refused.terminal(more[0]) == .failed(.mimeNotAllowed("image/png", purpose: "meeting_transcript")))
            #expect(try await harness.api(harness.profile()).list("PENDING").isEmpty)
        }
    }

    @Test func cancelDuringThePutLeavesTheSessionCancelled() async throws {
        try await EngineHarness.with { harness in
            let path = try harness.file("slow.txt", size: 600_000)
            let profile = harness.profile()
            let engine = try harness.engine(profile, rateLimit: 200_000)
            let ids = await engine.add(paths: [path])
            let events = try await collect(engine, ids) { event in
                if case .progress(let sent, _) = event.kind, sent > 50_000 { await engine.cancel(event.job) }
            }
            await engine.shutdown()
            #expect(events.terminal(ids[0]) == .cancelled)
            #expect(!events.kinds(ids[0]).contains(.completing))
            let session = try #require(events.sessions(ids[0]).first)
            #expect(try await harness.api(profile).status(session).status == "CANCELLED")
        }
    }

    @Test func commandsPauseResumeConcurrencyAndRetry() async throws {
        try await EngineHarness.with { harness in
            let paths = try (0..<3).map { try harness.file("f\($0).txt", size: 1000 + $0) }
            let engine = try harness.engine(harness.profile(), concurrency: 1)
            await engine.pause()
            let ids = await engine.add(paths: paths + [harness.files + "/later.txt"])
            await engine.waitUntilIdle()
            #expect(await engine.isPaused)
            await engine.cancel(ids[2])
            await engine.setConcurrency(3)
            #expect(await engine.concurrency == 3)
            await engine.resume()
            let first = try await collect(engine, ids)
            #expect(first.completed(ids[0]) != nil && first.completed(ids[1]) != nil)
            #expect(first.terminal(ids[2]) == .cancelled)
            #expect(first.sessions(ids[2]).isEmpty)
            // The missing file appears; retry picks it up, and the cancelled one too.
            try harness.file("later.txt", size: 50)
            await engine.retry(ids[3])
            await engine.retry(ids[2])
            let second = try await collect(engine, [ids[2], ids[3]])
            await engine.shutdown()
            #expect(second.completed(ids[2]) != nil)
            #expect(second.completed(ids[3]) != nil)
        }
    }
}
