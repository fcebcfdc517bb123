import Foundation
import HoistServer
import HoistTestSupport
import Synchronization
import Testing

@testable import HoistEngine

@Suite struct FaultTests {
    @Test("a one-shot command's call (hoist status, cancel, gc) gives up on a server that does not answer after its timeout, not the engine's minute")
    func oneShotCallsAreHeldToTheirTimeout() async throws {
        try await EngineHarness.with { harness in
            // A one-shot command's API (hoist status, url, cancel, gc) is held to the short timeout by default.
            let held = try await UploadAPI.with(profile: harness.profile(), key: APIKey(harness.server.key)) { api throws(EngineError) in
                api.transport.timeout
            }
            #expect(held == UploadAPI.oneShotTimeout && held < HTTPTransport.apiTimeout)
            try await FaultProxy.with(upstream: harness.server.baseURL) { proxy in
                proxy.inject(.stallAfter(bytes: 0), on: "GET /v1/files", times: 10)
                let profile = harness.profile(endpoint: proxy.baseURL)
                let started = ContinuousClock.now
                do {
                    _ = try await UploadAPI.with(profile: profile, key: APIKey(harness.server.key), timeout: .milliseconds(500)) {
                        api throws(EngineError) in try await api.status(id: "fil_silent")
                    }
                    Issue.record("a silent server answered")
                } catch {
                    #expect("\(error)".contains("took too long"), "\(error)")
                }
                #expect(ContinuousClock.now - started < .seconds(10), "held \(ContinuousClock.now - started)")
            }
        }
    }

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

    @Test("408 (a body the server stopped waiting for: this machine was suspended or paused) is sent again, for the PUT and for API calls, not a final failure")
    func requestTimeoutsAreRetried() async throws {
        try await EngineHarness.with { harness in
            try await FaultProxy.with(upstream: harness.server.baseURL) { proxy in
                proxy.inject(.status(408), on: "POST /v1/files ")
                proxy.inject(.status(408), on: "PUT ", times: 2)
                let path = try harness.file("paused.txt", size: 200_000)
                let profile = harness.profile(endpoint: proxy.baseURL)
                let engine = try harness.engine(profile)
                let ids = await engine.add(paths: [path])
                let events = try await collect(engine, ids)
                await engine.shutdown()
                #expect(proxy.faultsFired == 3)
                let done = try #require(events.completed(ids[0]), "\(events.kinds(ids[0]))")
                #expect(try await harness.api(profile).status(done.id).md5 == (try EngineHarness.md5(path)))
            }
        }
    }

    @Test("a PUT to a peer that stops taking bytes (hung, no reset) is given up after the stall timeout, said why, and retried to completion")
    func aStalledPutIsGivenUpAndRetried() async throws {
        try await EngineHarness.with { harness in
            try await FaultProxy.with(upstream: harness.server.baseURL) { proxy in
                proxy.inject(.stallAfter(bytes: 100_000), on: "PUT ")
                // Larger than loopback's socket buffers, so the client is left unable to write.
                let path = try harness.file("stall.bin", size: 24_000_000)
                let profile = harness.profile(endpoint: proxy.baseURL)
                let engine = try harness.engine(profile) { $0.stallTimeout = .seconds(2) }
                let started = ContinuousClock.now
                let ids = await engine.add(paths: [path])
                let events = try await collect(engine, ids)
                await engine.shutdown()
                #expect(proxy.faultsFired == 1)
                let reasons = events.kinds(ids[0]).compactMap { kind -> String? in
                    if case .retrying(_, _, let reason) = kind { return reason } else { return nil }
                }
                // The proxy stalls one PUT; a later one may stall for real on a loaded machine
                // (a CI run: the test server took no byte for 2 s on the retry too), and is
                // given up and said the same way.
                #expect(!reasons.isEmpty && reasons.allSatisfy { $0.contains("nothing moved for 2 s") }, "\(events.story(ids[0]))")
                let done = try #require(events.completed(ids[0]), "\(events.story(ids[0]))")
                #expect(try await harness.api(profile).status(done.id).md5 == (try EngineHarness.md5(path)))
                #expect(ContinuousClock.now - started < .seconds(60), "given up at the stall timeout, not at some later deadline")
            }
        }
    }

    @Test("--limit-rate's own waits are not a stall: a PUT held back longer than the stall timeout completes without a retry")
    func limiterWaitsAreNotStalls() async throws {
        try await EngineHarness.with { harness in
            // 300 KiB at 100 KiB/s: the limiter holds the second and later chunks back for
            // over a second each, longer than the 1 s stall timeout.
            let path = try harness.file("slow.bin", size: 300 * 1024)
            let profile = harness.profile()
            let engine = try harness.engine(profile, rateLimit: 100 * 1024) {
                $0.stallTimeout = .seconds(1)
                $0.chunkSize = 128 * 1024
            }
            let ids = await engine.add(paths: [path])
            let events = try await collect(engine, ids)
            await engine.shutdown()
            let retries = events.kinds(ids[0]).filter { if case .retrying = $0 { return true } else { return false } }
            #expect(retries.isEmpty, "\(events.story(ids[0]))")
            #expect(events.completed(ids[0]) != nil, "\(events.story(ids[0]))")
        }
    }

    @Test("a failed job whose cancel could not reach the server leaves the cancel to the next engine, which makes it: no PENDING file left behind")
    func anUnreachedCancelIsMadeByTheNextRun() async throws {
        try await EngineHarness.with { harness in
            let journal = harness.files + "/journal.sqlite"
            let session: String = try await FaultProxy.with(upstream: harness.server.baseURL) { proxy in
                proxy.inject(.status(500), on: "PUT ", times: 100)
                proxy.inject(.status(503), on: "/cancel", times: 100)
                let profile = harness.profile(endpoint: proxy.baseURL)
                let engine = try harness.engine(profile, journal: journal)
                let ids = await engine.add(paths: [try harness.file("doomed.txt", size: 1000)])
                let events = try await collect(engine, ids)
                await engine.shutdown()
                guard case .failed? = events.terminal(ids[0]) else {
                    Issue.record("\(events.story(ids[0]))")
                    return ""
                }
                return try #require(events.sessions(ids[0]).first)
            }
            let profile = harness.profile()
            #expect(try await harness.api(profile).status(session).status == "PENDING")
            let next = try harness.engine(profile, journal: journal)
            await next.pendingAborts?.value
            await next.shutdown()
            #expect(try await harness.api(profile).status(session).status == "CANCELLED")
            #expect(try Journal.open(path: journal).pendingAborts(endpoint: "test-endpoint").isEmpty)
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

    @Test("a knowledge PUT answered 412 (its stamped name taken, as a service whose stamps collide answers): the session is cancelled and a new one, with a new stamped name, completes")
    func nameTakenOnAKnowledgeUploadGetsANewStampedName() async throws {
        let clock = ManualClock(start: Date())
        try await EngineHarness.with(clock: clock) { harness in
            // hoist's server never hands out a taken name (it stamps the next millisecond),
            // so the 412 comes from the proxy, as another service's would.
            try await FaultProxy.with(upstream: harness.server.baseURL) { proxy in
                proxy.inject(.status(412), on: "PUT ")
                let profile = harness.profile(endpoint: proxy.baseURL, purpose: "knowledge_user")
                let engine = try harness.engine(profile, concurrency: 1)
                let ids = await engine.add(paths: [try harness.file("b/playbook.md", size: 400, seed: 9)])
                let events = try await collect(engine, ids)
                await engine.shutdown()
                let sessions = events.sessions(ids[0])
                #expect(sessions.count == 2, "\(events.story(ids[0]))")
                let done = try #require(events.completed(ids[0]), "\(events.story(ids[0]))")
                let api = harness.api(profile)
                let refused = try await api.status(sessions[0])
                #expect(refused.status == "CANCELLED")
                let stored = try await api.status(done.id)
                #expect(stored.status == "COMPLETED")
                // The same frozen millisecond: the server stamped the next one.
                #expect(stored.filename != refused.filename, "\(stored.filename)")
                #expect(stored.filename.hasPrefix("playbook_") && stored.filename.hasSuffix(".md"))
            }
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

    @Test("a file that changes while it waits in the queue fails as changed since queued when its turn comes, with no session made for it")
    func changedWhileQueuedMakesNoSession() async throws {
        try await EngineHarness.with { harness in
            let first = try harness.file("first.bin", size: 300_000)
            let second = try harness.file("second.txt", size: 1_000, seed: 3)
            let profile = harness.profile()
            let engine = try harness.engine(profile, rateLimit: 200_000, concurrency: 1)
            let ids = await engine.add(paths: [first, second])
            let appended = Mutex(false)
            let events = try await collect(engine, ids) { event in
                guard event.job == ids[0], case .progress(let sent, _) = event.kind, sent > 0, !appended.withLock({ $0 }) else { return }
                appended.withLock { $0 = true }
                if let handle = FileHandle(forWritingAtPath: second) {
                    handle.seekToEndOfFile()
                    handle.write(Data("more".utf8))
                    handle.closeFile()
                }
            }
            await engine.shutdown()
            #expect(events.completed(ids[0]) != nil, "\(events.story(ids[0]))")
            #expect(events.terminal(ids[1]) == .failed(.changedWhileQueued(second)), "\(events.story(ids[1]))")
            #expect(events.sessions(ids[1]).isEmpty)
            let listed = try await LightfieldCalls(baseURL: harness.server.baseURL, key: harness.server.key).list()
            #expect(!listed.text.contains("second.txt"), "\(listed.text)")
        }
    }

    @Test("a file rewritten while it waits in the queue, its size and mtime put back (touch -r), fails as changed since queued at its turn")
    func rewrittenWhileQueuedWithRestoredMtime() async throws {
        try await EngineHarness.with { harness in
            let first = try harness.file("first.bin", size: 300_000)
            let second = try harness.file("second.txt", size: 1_000, seed: 3)
            var queued = stat()
            #expect(stat(second, &queued) == 0)
            // To the nanosecond, as `touch -r` does (a Date would round it).
            let times = [queued.st_atim, queued.st_mtim]
            let engine = try harness.engine(harness.profile(), rateLimit: 200_000, concurrency: 1)
            let ids = await engine.add(paths: [first, second])
            let rewritten = Mutex(false)
            let events = try await collect(engine, ids) { event in
                guard event.job == ids[0], case .progress(let sent, _) = event.kind, sent > 0, !rewritten.withLock({ $0 }) else { return }
                rewritten.withLock { $0 = true }
                // Other bytes, the same length, and the old mtime back: only the ctime tells.
                try? Data(repeating: 0x7a, count: 1_000).write(to: URL(fileURLWithPath: second))
                _ = utimensat(AT_FDCWD, second, times, 0)
            }
            await engine.shutdown()
            #expect(events.completed(ids[0]) != nil, "\(events.story(ids[0]))")
            #expect(events.terminal(ids[1]) == .failed(.changedWhileQueued(second)), "\(events.story(ids[1]))")
            #expect(events.sessions(ids[1]).isEmpty)
        }
    }

    @Test("a file rewritten in place during its upload with its size and mtime put back (touch -r) fails as changed, not stored half old")
    func rewriteWithRestoredMtimeIsAChange() async throws {
        try await EngineHarness.with { harness in
            let path = try harness.file("sneaky.bin", size: 400_000)
            let original = try FileIdentity.of(path)
            let profile = harness.profile()
            let engine = try harness.engine(profile, rateLimit: 200_000)
            let ids = await engine.add(paths: [path])
            let rewritten = Mutex(false)
            let events = try await collect(engine, ids) { event in
                guard case .progress(let sent, _) = event.kind, sent > 0, !rewritten.withLock({ $0 }) else { return }
                rewritten.withLock { $0 = true }
                // Same size, new bytes, then the old mtime back: only the change time tells.
                if let handle = FileHandle(forWritingAtPath: path) {
                    handle.write(Data(repeating: 0, count: 400_000))
                    handle.closeFile()
                }
                var times = [timespec(tv_sec: Int(original.mtimeNanos / 1_000_000_000), tv_nsec: Int(original.mtimeNanos % 1_000_000_000)),
                             timespec(tv_sec: Int(original.mtimeNanos / 1_000_000_000), tv_nsec: Int(original.mtimeNanos % 1_000_000_000))]
                _ = utimensat(AT_FDCWD, path, &times, 0)
            }
            await engine.shutdown()
            #expect(try FileIdentity.of(path) == original, "the test put size and mtime back")
            #expect(events.terminal(ids[0]) == .failed(.fileChanged(path)), "\(events.story(ids[0]))")
        }
    }
}

@Suite struct StallWatchTests {
    @Test("silence counts only from the request head to the last body byte, then at five times the limit for the answer; never while waiting for a connection or the limiter")
    func phases() async throws {
        let limit: Duration = .seconds(60)
        let origin = ContinuousClock.now
        let clock = Mutex(origin)
        func advance(_ by: Duration) { clock.withLock { $0 += by } }
        let watch = StallWatch(now: { clock.withLock { $0 } })
        advance(.seconds(300))
        #expect(!watch.hasStalled(for: limit), "waiting for a connection is not a stall")
        watch.started()
        advance(.seconds(59))
        #expect(!watch.hasStalled(for: limit))
        watch.moved()
        try await watch.limiterWait {
            advance(.seconds(120))
            #expect(!watch.hasStalled(for: limit), "a limiter wait is not a stall")
        }
        advance(.seconds(59))
        #expect(!watch.hasStalled(for: limit), "the limiter's wait ended as a move")
        advance(.seconds(1))
        #expect(watch.hasStalled(for: limit))
        watch.bodySent()
        advance(.seconds(299))
        #expect(!watch.hasStalled(for: limit), "the server stores the body before it answers")
        advance(.seconds(1))
        #expect(watch.hasStalled(for: limit))
    }
}
