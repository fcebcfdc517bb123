import Foundation
import HoistServer
import HoistTestSupport
import Synchronization
import Testing

@testable import HoistServer

/// `--database postgres://`: what holds only with PostgreSQL (several instances on one
/// database). The rest of the server suite runs on PostgreSQL too, under
/// `HOIST_TEST_BACKEND=postgres`.
@Suite struct PostgresStoreTests {
    /// Two servers on one new database with one signing secret, each with its own data
    /// directory (disk blobs are per instance); `body` gets both and a psql runner.
    static func twoInstances(clock: ManualClock? = nil, sessionTTL: TimeInterval = 3600,
                             _ body: (TestServer, TestServer, Psql) async throws -> Void) async throws {
        let database = try await TestPostgres.makeDatabase()
        let secret = Data("a secret every instance shares, 32+ bytes".utf8)
        // One bucket too when bytes go to S3: b finds what was PUT through a's URL.
        let blobs = try await TestBackend.makeBlobs()
        let configure: (inout ServerConfiguration) -> Void = {
            $0.metadata = .postgres(database.url)
            $0.signingSecret = secret
            // Sweeps only when a test calls them: a periodic one firing on a loaded machine
            // held the sweep lock with the clock's time from before the test advanced it,
            // so both of the test's sweeps found the lock taken and nothing expired.
            $0.sweepInterval = 24 * 3600
            blobs?.apply(to: &$0)
        }
        do {
            try await TestServer.with(sessionTTL: sessionTTL, clock: clock, configure: configure) { a in
                // Persona 100 is a's user's; b's own key gets another.
                try await TestServer.with(sessionTTL: sessionTTL, clock: clock, keyPersonas: [200], configure: configure) { b in
                    try await body(a, b, Psql(url: database.url))
                }
            }
        } catch {
            await database.drop()
            throw error
        }
        await database.drop()
    }

    /// Runs one query with psql and returns its single value.
    struct Psql {
        let url: String

        func value(_ sql: String) async throws -> String {
            var components = URLComponents(string: url)!
            components.query = nil  // psql does not know hoist's `pool`
            let result = try await Shell.run("psql -Atq \(Tmux.quote(components.string!)) -c \(Tmux.quote(sql))")
            guard result.status == 0 else { throw ChildProcessError(description: result.stderr) }
            return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    @Test("disk blobs: bytes PUT to one instance and discarded by the other (a wrong md5, a cancel) leave no file behind once old enough; a completed one stays", .diskBlobsOnly)
    func orphanBlobsAreReclaimed() async throws {
        try await Self.twoInstances { a, b, _ in
            let onA = LightfieldCalls(baseURL: a.baseURL, key: a.key), onB = LightfieldCalls(baseURL: b.baseURL, key: a.key)
            // Larger than a body the database keeps: a file in a's blobs/.
            let body = Data(repeating: 0x61, count: 200_000)
            let wrong = try await onA.create(purpose: "general", filename: "w.bin", mimeType: "application/octet-stream", sizeBytes: body.count)
            #expect(try await onA.put(wrong, body: body).status == 200)
            #expect(try await onB.complete(try #require(wrong.string("id")), md5: String(repeating: "0", count: 32)).status == 422)
            let cancelled = try await onA.create(purpose: "general", filename: "c.bin", mimeType: "application/octet-stream", sizeBytes: body.count)
            #expect(try await onA.put(cancelled, body: body).status == 200)
            #expect(try await onB.cancel(try #require(cancelled.string("id"))).status == 200)
            let kept = try await onA.create(purpose: "general", filename: "k.bin", mimeType: "application/octet-stream", sizeBytes: body.count)
            #expect(try await onA.put(kept, body: body).status == 200)
            #expect(try await onB.complete(try #require(kept.string("id")), md5: MD5Hex.of(body)).status == 200)
            // b could not delete a's files.
            #expect(try a.blobFiles().count == 3)
            // Too new to go: a blob this fresh may be a PUT whose row is on its way.
            try await a.server.reclaimOrphanBlobs(olderThan: 3600)
            #expect(try a.blobFiles().count == 3)
            try await a.server.reclaimOrphanBlobs(olderThan: 0)
            #expect(try a.blobFiles().count == 1)
            let download = try await onB.downloadURL(try #require(kept.string("id")))
            #expect(try await TestHTTP.send(.GET, try #require(download.string("url")).replacingOccurrences(of: b.baseURL, with: a.baseURL)).body == body)
        }
    }

    @Test("a session created on one instance is PUT, completed, listed and cancelled through the other")
    func instancesAreInterchangeable() async throws {
        try await Self.twoInstances { a, b, _ in
            // A key made once (through a) authenticates on both.
            let onA = LightfieldCalls(baseURL: a.baseURL, key: a.key)
            let onB = LightfieldCalls(baseURL: b.baseURL, key: a.key)
            let body = Data("bytes that land on a and complete on b".utf8)
            let created = try await onA.create(sizeBytes: body.count)
            #expect(created.status == 200)
            let id = try #require(created.string("id"))
            #expect(try await onA.put(created, body: body).status == 200)
            let completed = try await onB.complete(id, md5: MD5Hex.of(body))
            #expect(completed.status == 200, "\(completed.text)")
            #expect(completed.string("md5") == MD5Hex.of(body))
            #expect(try await onB.metadata(id).string("status") == "COMPLETED")
            let listed = try await onB.list()
            #expect((listed.json["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [id])

            let second = try await onB.create(sizeBytes: 3)
            let secondID = try #require(second.string("id"))
            #expect(try await onA.cancel(secondID).status == 200)
            #expect(try await onB.metadata(secondID).string("status") == "CANCELLED")
            // A URL signed by b is honoured by a: the secret is shared, not per instance.
            let third = try await onB.create(sizeBytes: 3)
            let url = try #require(third.string("uploadUrl")).replacingOccurrences(of: b.baseURL, with: a.baseURL)
            let headers = (third.json["uploadHeaders"] as? [String: String]) ?? [:]
            let put = try await TestHTTP.send(.PUT, url, headers: headers.map { ($0.key, $0.value) }, body: Data("abc".utf8))
            #expect(put.status == 200, "\(put.text)")
        }
    }

    @Test("40 concurrent completes of one session across two instances: all 200, one completion and one stored body recorded",
          arguments: ["meeting_transcript", "knowledge_user"])
    func concurrentCompletesCompleteOnce(purpose: String) async throws {
        try await Self.twoInstances { a, b, psql in
            let calls = [LightfieldCalls(baseURL: a.baseURL, key: a.key), LightfieldCalls(baseURL: b.baseURL, key: a.key)]
            let body = Data(repeating: 7, count: 1000)
            // A knowledge session must not exist already at its name (`if-none-match: *`): with
            // S3 blobs each complete notices the one PUT, and none may see it as another's.
            let created = try await calls[0].create(purpose: purpose, sizeBytes: body.count)
            let id = try #require(created.string("id"))
            #expect(try await calls[1].put(created, body: body).status == 200)
            let statuses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for i in 0..<40 {
                    group.addTask {
                        let answer = try await calls[i % 2].complete(id, md5: MD5Hex.of(body))
                        return (answer.status, answer.string("md5"))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0.0 == 200 && $0.1 == MD5Hex.of(body) }, "\(statuses)")
            #expect(try await psql.value("SELECT count(*) FROM events WHERE session_id = '\(id)' AND kind = 'completed'") == "1")
            #expect(try await psql.value("SELECT count(*) FROM events WHERE session_id = '\(id)' AND kind = 'stored'") == "1")
        }
    }

    @Test("creates of one knowledge name on two instances in one millisecond: each gets a name of its own (the next millisecond's), and every upload completes")
    func knowledgeNamesAcrossInstancesStayApart() async throws {
        try await Self.twoInstances(clock: ManualClock()) { a, b, _ in
            let calls = [LightfieldCalls(baseURL: a.baseURL, key: a.key), LightfieldCalls(baseURL: b.baseURL, key: a.key)]
            let created = try await withThrowingTaskGroup(of: HTTPResult.self) { group in
                for i in 0..<20 {
                    group.addTask {
                        try await calls[i % 2].create(purpose: "knowledge_user", filename: "notes.md", mimeType: "text/markdown", sizeBytes: 5)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(created.compactMap { $0.string("filename") }).count == 20, "\(created.map(\.text))")
            for (i, session) in created.enumerated() {
                #expect(try await calls[i % 2].put(session, body: Data("notes".utf8)).status == 200)
                let done = try await calls[(i + 1) % 2].complete(try #require(session.string("id")))
                #expect(done.status == 200, "\(done.text)")
            }
        }
    }

    @Test("the database emptied under running servers (its tables dropped, as a database dropped and made again is): every request is 503 unavailable with Retry-After, never a 500")
    func tablesGoneIs503() async throws {
        try await Self.twoInstances { a, _, psql in
            let calls = LightfieldCalls(baseURL: a.baseURL, key: a.key)
            #expect(try await calls.create(sizeBytes: 3).status == 200)
            _ = try await psql.value("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
            for _ in 0..<3 {
                let answer = try await calls.create(sizeBytes: 3)
                #expect(answer.status == 503 && answer.errorCode == "unavailable", "\(answer.status) \(answer.text)")
                #expect(answer.header("retry-after") == "5")
                #expect(answer.text.contains("lost its tables"), "\(answer.text)")
            }
            let luw = try await LuwCalls(baseURL: a.baseURL, key: a.key).upload(filename: "a.jpg")
            #expect(luw.status == 503, "\(luw.text)")
        }
    }

    @Test("sweeps on two instances at once expire each overdue session exactly once")
    func sweepsDoNotOverlap() async throws {
        let clock = ManualClock()
        try await Self.twoInstances(clock: clock, sessionTTL: 60) { a, b, psql in
            let calls = LightfieldCalls(baseURL: a.baseURL, key: a.key)
            for _ in 0..<25 { #expect(try await calls.create(sizeBytes: 10).status == 200) }
            clock.advance(by: 120)
            async let first: Void = a.server.sweep()
            async let second: Void = b.server.sweep()
            _ = try await (first, second)
            // One sweep held the lock; had both run, each would have expired a share, which
            // is as correct but double work. Either way each session has one "expired".
            #expect(try await psql.value("SELECT count(*) FROM sessions WHERE status = 'EXPIRED'") == "25")
            #expect(try await psql.value("SELECT count(*) FROM events WHERE kind = 'expired'") == "25")
            #expect(try await psql.value("SELECT count(DISTINCT session_id) FROM events WHERE kind = 'expired'") == "25")
        }
    }

    @Test("one instance at a time clears discard marks: another's turn meanwhile looks at none, and a mark cleared is not looked at again")
    func discardMarksAreClearedByOneInstance() async throws {
        try await Self.twoInstances { a, b, psql in
            let calls = LightfieldCalls(baseURL: a.baseURL, key: a.key)
            let id = try #require(try await calls.create(sizeBytes: 10).string("id"))
            let key = try #require(try await a.server.state.store.session(id: id, now: Date())).objectKey
            // The mark a wrong-md5 complete leaves when bytes go to S3 (made by hand here:
            // what matters is who may clear it).
            _ = try await psql.value("""
                INSERT INTO objects (object_key, session_id, blob_id, size, md5, content_type, stored_at, delete_at)
                VALUES ('\(key)', '\(id)', 'hoist/uploads/\(id)', 10, '\(String(repeating: "0", count: 32))',
                        'application/octet-stream', 0, 0)
                """)
            let mark = try #require(try await a.server.state.store.object(at: key))
            let looked = Mutex(0)
            let entered = AsyncGate(), release = AsyncGate()
            // a's turn: inside it, it waits (as on a slow HEAD or DELETE).
            let first = Task {
                try await a.server.state.store.clearDiscardMarks([mark]) { _ in
                    entered.open()
                    await release.wait()
                    return false  // its bytes could not be deleted: the mark stays
                }
            }
            await entered.wait()
            try await b.server.state.store.clearDiscardMarks([mark]) { _ in looked.withLock { $0 += 1 }; return true }
            #expect(looked.withLock { $0 } == 0, "b cleared while a held the turn")
            release.open()
            try await first.value
            #expect(try await a.server.state.store.object(at: key) != nil, "the mark a could not clear went")
            // Once a's turn is over (its lease given back), b's comes at once.
            try await b.server.state.store.clearDiscardMarks([mark]) { _ in looked.withLock { $0 += 1 }; return true }
            #expect(looked.withLock { $0 } == 1)
            #expect(try await a.server.state.store.object(at: key) == nil, "the mark cleared was not dropped")
            // The same list again (a sweep that read it before): the mark is gone, not looked at.
            try await a.server.state.store.clearDiscardMarks([mark]) { _ in looked.withLock { $0 += 1 }; return true }
            #expect(looked.withLock { $0 } == 1)
        }
    }

    @Test("instances started together on a new database migrate it once")
    func concurrentStartsMigrateOnce() async throws {
        let database = try await TestPostgres.makeDatabase()
        defer { Task { await database.drop() } }
        let servers = try await withThrowingTaskGroup(of: UploadServer.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var config = ServerConfiguration(dataDirectory: try TempDirectory.make(prefix: "hoist-pg-start"))
                    config.metadata = .postgres(database.url)
                    return try await UploadServer.start(config)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(servers.count == 4)
        for server in servers { try await server.shutdown() }
        let psql = Psql(url: database.url)
        #expect(try await psql.value("SELECT string_agg(name, ',' ORDER BY name) FROM hoist_migrations") == "v1,v2-swept,v4-sealed-copies,v5-discard-lease")
        #expect(try await psql.value("SELECT count(*) FROM settings WHERE name = 'signingSecret'") == "1")
    }

    @Test("an unreachable or wrong database fails the start with a message that names it, and no password")
    func unreachableDatabaseIsAClearError() async throws {
        let port = try closedPort()
        var config = ServerConfiguration(dataDirectory: try TempDirectory.make(prefix: "hoist-pg-none"))
        config.metadata = .postgres("postgres://hoist:s3cret@127.0.0.1:\(port)/nowhere?sslmode=disable")
        let started = ContinuousClock.now
        let error = await #expect(throws: (any Error).self) { try await UploadServer.start(config) }
        let text = String(describing: error)
        #expect(text.contains("127.0.0.1:\(port)/nowhere"), "\(text)")
        #expect(!text.contains("s3cret"))
        #expect(ContinuousClock.now - started < .seconds(15))

        let admin = try await TestPostgres.adminURL()
        var missing = URLComponents(string: admin)!
        missing.path = "/hoist_no_such_database"
        config.metadata = .postgres(missing.string!)
        let wrong = await #expect(throws: (any Error).self) { try await UploadServer.start(config) }
        #expect(String(describing: wrong).contains("hoist_no_such_database"))
    }

    @Test("a database that stalls: requests answer 503 unavailable with Retry-After within the URL's timeout, a shutdown does not wait for it, and a new server works once it answers")
    func stalledDatabaseAnswers503() async throws {
        let database = try await TestPostgres.makeDatabase()
        defer { Task { await database.drop() } }
        var config = ServerConfiguration(dataDirectory: try TempDirectory.make(prefix: "hoist-pg-stall"))
        // 8 s: a request waits on the lock that long, and the test must see it waiting
        // (through psql, which a full run's load has slowed past 2 s, the first value here).
        config.metadata = .postgres(database.url + "&timeout=8")
        var server = try await UploadServer.start(config)
        // Another session holds api_keys locked (as a migration or a VACUUM FULL would): every
        // key lookup waits behind it, for as long as it holds the lock.
        var plain = URLComponents(string: database.url)!
        plain.query = nil
        let holder = try await Spawned("/usr/bin/env", ["psql", "-q", plain.string!, "-c",
            "BEGIN; LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(600);"])
        defer { holder.send(SIGKILL) }
        let psql = Psql(url: database.url)
        #expect(try await waitUntil {
            (try? await psql.value("""
                SELECT count(*) FROM pg_locks l JOIN pg_class c ON l.relation = c.oid
                WHERE c.relname = 'api_keys' AND l.mode = 'AccessExclusiveLock' AND l.granted
                """)) == "1"
        })
        let list = { @Sendable (base: String) in
            try await TestHTTP.send(.GET, base + "/v1/files", headers: [("Authorization", "Bearer sk_some_key")])
        }
        let started = ContinuousClock.now
        let stalled = try await list(server.baseURL)
        #expect(stalled.status == 503 && stalled.errorCode == "unavailable", "\(stalled.status) \(stalled.text)")
        #expect(stalled.header("Retry-After") == "5")
        #expect(ContinuousClock.now - started < .seconds(30))

        // A request still waiting when the server is told to stop ends at its deadline, so the
        // graceful shutdown is not held by the database.
        // The database ended the stalled statement too (statement_timeout), so it does not
        // hold a pooled connection; then a second request waits on the lock.
        let lockWaits = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        #expect(try await waitUntil { (try? await psql.value(lockWaits)) == "0" })
        let waiting = Task { [base = server.baseURL] in try await list(base) }
        #expect(try await waitUntil { (try? await psql.value(lockWaits)) == "1" })
        let stopping = ContinuousClock.now
        try await server.shutdown()
        #expect(ContinuousClock.now - stopping < .seconds(60))
        #expect(try await waiting.value.status == 503)

        // The backend sleeps on whether or not psql is there: end it, and so the lock.
        #expect(try await psql.value("""
            SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
            WHERE datname = current_database() AND query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()
            """) == "1")
        server = try await UploadServer.start(config)
        let answered = try await waitUntil { try await list(server.baseURL).status == 401 }
        #expect(answered, "an unknown key is 401 again once the database answers")
        try await server.shutdown()
    }

    @Test("postgres:// URLs: credentials decoded, sslmode and pool read, the password never displayed")
    func urlsParse() throws {
        let url = try PostgresURL.parse("postgres://us%40er:p%3Ass@db.example:6543/hoist?sslmode=disable&pool=9")
        #expect(url.client.username == "us@er")
        #expect(url.client.password == "p:ss")
        #expect(url.client.database == "hoist")
        #expect(url.client.host == "db.example" && url.client.port == 6543)
        #expect(url.client.options.maximumConnections == 9)
        #expect(url.timeout == .seconds(30))
        #expect(try PostgresURL.parse("postgres://a@b/c?timeout=2.5").timeout == .milliseconds(2500))
        #expect(url.display == "db.example:6543/hoist" && !url.display.contains("p:ss"))
        let socket = try PostgresURL.parse("postgresql://me@/hoist")
        #expect(socket.client.unixSocketPath == "/var/run/postgresql/.s.PGSQL.5432")
        for bad in ["mysql://x@y/z", "not a url", "postgres://a@b/c?sslmode=sometimes", "postgres://a@b/c?pool=0",
                    "postgres://a@b/c?timeout=0", "postgres://a@b/c?timeout=soon", "postgres://a@b/c?timeout=nan"] {
            #expect(throws: (any Error).self, "\(bad)") { try PostgresURL.parse(bad) }
        }
        #expect(MetadataLocation.from(nil, environment: [:]) == .sqlite)
        #expect(MetadataLocation.from(nil, environment: ["HOIST_DATABASE_URL": "postgres://a@b/c"]) == .postgres("postgres://a@b/c"))
        #expect(MetadataLocation.from("postgres://x@y/z", environment: ["HOIST_DATABASE_URL": "postgres://a@b/c"]) == .postgres("postgres://x@y/z"))
    }
}
