import Foundation
import HoistServer
import HoistTestSupport
import Testing

@testable import HoistEngine

@Suite struct FaultTests {
    @Test func injected5xxAndDroppedConnectionsAreRetried() async throws {
        try await EngineHarness.with { harness in
            try await FaultProxy.with(upstream: harness.server.baseURL) { proxy in
                proxy.inject(.status(503), on: "POST /v1/files ")
                proxy.inject(.status(502), on: "PUT ")
                proxy.inject(.dropAfter(bytes: 4000), on: "PUT ")
                proxy.inject(.status(500), on: "/complete")
                let path = try harness.file("flaky.txt", size: 300_000)
                let profile = harness.profile(endpoint: proxy.baseURL)
                let engine = try harness.engine(profile)
                let ids = await engine.add(paths: [path])
                let events = try await collect(engine, ids)
                await engine.shutdown()
                #expect(proxy.faultsFired == 4)
                let retries = events.kinds(ids[0]).filter { if case .retrying = $0 { return true } else { return false } }
                #expect(retries.count == 4, "\(events.kinds(ids[0]))")
                let done = try #require(events.completed(ids[0]), "\(events.kinds(ids[0]))")
                let remote = try await harness.api(profile).status(done.id)
                #expect(remote.status == "COMPLETED")
                #expect(remote.md5 == (try EngineHarness.md5(path)))
            }
        }
    }

    @Test func persistentServerErrorsFailAfterBoundedAttempts() async throws {
        try await EngineHarness.with { harness in
            try await FaultProxy.with(upstream: harness.server.baseURL) { proxy in
                proxy.inject(.status(503), on: "PUT ", times: 100)
                let profile = harness.profile(endpoint: proxy.baseURL)
                let engine = try harness.engine(profile)
                let ids = await engine.add(paths: [try harness.file("down.txt", size: 1000)])
                let events = try await collect(engine, ids)
                await engine.shutdown()
                guard case .failed(let error)? = events.terminal(ids[0]) else { Issue.record("\(events)"); return }
                #expect(error.status == 503)
                #expect(proxy.faultsFired == 5)
                let session = try #require(events.sessions(ids[0]).first)
                #expect(try await harness.api(profile).status(session).status == "CANCELLED")
            }
        }
    }

    @Test func expiredSessionIsReplacedByANewOne() async throws {
        let clock = ManualClock(start: Date())
        try await EngineHarness.with(clock: clock) { harness in
            try await FaultProxy.with(upstream: harness.server.baseURL) { proxy in
                // The first PUT fails; while the engine backs off, the session's hour runs out.
                proxy.inject(.status(503), on: "PUT ")
                let profile = harness.profile(endpoint: proxy.baseURL)
                let engine = try harness.engine(profile)
                let ids = await engine.add(paths: [try harness.file("late.txt", size: 5000)])
                let events = try await collect(engine, ids) { event in
                    if case .retrying = event.kind { clock.advance(by: 7200) }
                }
                await engine.shutdown()
                let sessions = events.sessions(ids[0])
                #expect(sessions.count == 2, "\(events.kinds(ids[0]))")
                let done = try #require(events.completed(ids[0]))
                #expect(done.id == sessions.last)
                #expect(try await harness.api(profile).status(sessions[0]).status == "EXPIRED")
                #expect(try await harness.api(profile).status(done.id).status == "COMPLETED")
            }
        }
    }

    @Test func nameTakenOnAKnowledgeUploadGetsANewStampedName() async throws {
        let clock = ManualClock(start: Date())
        try await EngineHarness.with(clock: clock) { harness in
            let profile = harness.profile(purpose: "knowledge_user")
            let engine = try harness.engine(profile, concurrency: 1)
            let first = await engine.add(paths: [try harness.file("a/playbook.md", size: 300)])
            let before = try await collect(engine, first)
            let taken = try #require(before.completed(first[0]))
            // Frozen time: the second create stamps the same name, and the PUT meets the existing object.
            let second = await engine.add(paths: [try harness.file("b/playbook.md", size: 400, seed: 9)])
            let after = try await collect(engine, second) { event in
                if case .sessionCreated = event.kind { clock.advance(by: 1) }
            }
            await engine.shutdown()
            let sessions = after.sessions(second[0])
            #expect(sessions.count >= 2)
            let done = try #require(after.completed(second[0]), "\(after.kinds(second[0]))")
            let api = harness.api(profile)
            #expect(try await api.status(sessions[0]).status == "CANCELLED")
            let stored = try await api.status(done.id)
            #expect(stored.status == "COMPLETED")
            #expect(stored.filename != (try await api.status(taken.id)).filename)
            #expect(stored.filename.hasPrefix("playbook_") && stored.filename.hasSuffix(".md"))
        }
    }

    @Test func checksumMismatchReuploadsIntoTheSameSession() async throws {
        try await EngineHarness.with { harness in
            try await FaultProxy.with(upstream: harness.server.baseURL) { proxy in
                proxy.inject(.corruptBody, on: "PUT ")
                let path = try harness.file("bits.txt", size: 20_000)
                let profile = harness.profile(endpoint: proxy.baseURL)
                let engine = try harness.engine(profile)
                let ids = await engine.add(paths: [path])
                let events = try await collect(engine, ids)
                await engine.shutdown()
                #expect(proxy.faultsFired == 1)
                #expect(events.kinds(ids[0]).filter { $0 == .completing }.count == 2)
                #expect(events.sessions(ids[0]).count == 1)
                let done = try #require(events.completed(ids[0]))
                #expect(try await harness.api(profile).status(done.id).md5 == (try EngineHarness.md5(path)))
            }
        }
    }

    @Test func fileChangedOrVanishedDuringUploadFailsClearly() async throws {
        try await EngineHarness.with { harness in
            let grows = try harness.file("grows.txt", size: 400_000)
            let vanishes = try harness.file("vanishes.txt", size: 400_000, seed: 5)
            let profile = harness.profile()
            let engine = try harness.engine(profile, rateLimit: 400_000)
            let ids = await engine.add(paths: [grows, vanishes])
            let events = try await collect(engine, ids) { event in
                guard case .progress(let sent, _) = event.kind, sent > 0 else { return }
                EngineHarness.disturb(event.path, growing: grows, vanishing: vanishes)
            }
            await engine.shutdown()
            #expect(events.terminal(ids[0]) == .failed(.fileChanged(grows)))
            #expect(events.terminal(ids[1]) == .failed(.fileVanished(vanishes)))
            for id in ids {
                let session = try #require(events.sessions(id).first)
                #expect(try await harness.api(profile).status(session).status == "CANCELLED")
            }
        }
    }
}
