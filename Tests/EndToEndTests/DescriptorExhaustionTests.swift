import Foundation
import HoistTestSupport
import Testing

/// `hoist serve` as a separate process under a small descriptor limit, held open by
/// clients that never finish their request heads.
@Suite("hoist serve out of descriptors", .serialized)
struct DescriptorExhaustionTests {
    /// CPU seconds (user + system) the process has used, from /proc.
    private static func cpuSeconds(_ pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command name: state is field 3, utime 14 and stime 15 (1-based).
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    @Test("ulimit -n 256 and 300 half-sent requests: a new client is served once the header timeout fires; no CPU is burnt meanwhile")
    func halfSentFlood() async throws {
        let dir = try TempDirectory.make(prefix: "hoist-fd")
        let bin = try HoistBinary.require()
        let server = try await ChildProcess("/bin/bash", ["-c", "ulimit -n 256 && exec '\(bin)' serve --data '\(dir)' --port 0 --header-timeout 2"])
        defer { server.send(SIGKILL) }
        let base = try await server.firstLine()
        let port = try #require(Int(base.split(separator: ":").last ?? ""))
        let pid = server.processIdentifier

        var held: [RawConnection] = []
        for _ in 0..<300 {
            let connection = try RawConnection(port: port)
            connection.send("POST /v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n")
            held.append(connection)
        }
        let cpuBefore = try #require(Self.cpuSeconds(pid))
        let started = Date()
        let client = try RawConnection(port: port)
        client.send("GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        let answer = await client.readResponse(timeout: 40)
        let elapsed = Date().timeIntervalSince(started)
        let cpu = try #require(Self.cpuSeconds(pid)) - cpuBefore
        #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer.prefix(200))")
        // About 2.5 s on a quiet machine; the bound leaves room for CI running every suite at
        // once (a full run on a crowded 2-core machine once took 23.7 s). Never served would
        // be the read's 40 s timeout and no answer.
        #expect(elapsed < 35, "served after \(elapsed) s")
        #expect(cpu < max(0.5, elapsed * 0.3), "\(cpu) CPU seconds in \(elapsed) s")
        let closedByServer = await withTaskGroup(of: Bool.self) { group in
            for connection in held.prefix(20) { group.addTask { await connection.readUntilClosed(timeout: 15).closed } }
            return await group.reduce(true) { $0 && $1 }
        }
        #expect(closedByServer, "half-sent connections are closed by the header timeout")
        for connection in held { connection.close() }
        server.send(SIGTERM)
        #expect(await server.waitForExit() == 0)
        #expect(server.standardError().contains("Fatal error") == false)
    }

    @Test("the limits are flags of hoist serve")
    func flags() async throws {
        let help = try await Shell.run("'\(try HoistBinary.require())' serve --help")
        for flag in ["--header-timeout", "--idle-timeout", "--body-timeout", "--max-connections", "--metrics-port", "--public-url"] {
            #expect(help.stdout.contains(flag), "\(flag)")
        }
        let bad = try await Shell.run("'\(try HoistBinary.require())' serve --data /tmp/x --header-timeout 0")
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--header-timeout"))
        let url = try await Shell.run("'\(try HoistBinary.require())' serve --data /tmp/x --public-url 'ftp://x'")
        #expect(url.status != 0)
        #expect(url.stderr.contains("--public-url"))
    }
}
