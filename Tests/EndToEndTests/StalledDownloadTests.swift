import Foundation
import HoistTestSupport
import Testing

/// `hoist serve` as a separate process, its downloads held by clients that read nothing:
/// what each costs in the kernel's send queue and in the server's memory, during and after.
@Suite("hoist serve and downloads nobody reads", .serialized)
struct StalledDownloadTests {
    /// The process's resident set, MiB, from /proc.
    private static func residentMiB(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return nil }
        return kib / 1024
    }

    /// Bytes waiting in the send queues of the TCP sockets whose local port is `port`, and
    /// how many there are (`tx_queue` of /proc/net/tcp: written by the server, not yet
    /// acknowledged by its client).
    private static func sendQueue(port: Int) -> (bytes: Int, sockets: Int) {
        let established = TCPTable.rows().filter { Int($0.localPort) == port && $0.state == "01" }
        return (established.reduce(0) { $0 + $1.sendQueue }, established.count)
    }

    @Test("200 downloads of 16 MiB nobody reads: each socket holds at most about 256 KiB unsent, and the memory they cost is handed back by the next sweep")
    func stalledDownloadsCostLittleAndGiveItBack() async throws {
        let served = try await ServedDownload.start(prefix: "hoist-stall", size: 16 << 20) { bin, dir in
            (bin, ["serve", "--data", dir, "--port", "0", "--sweep-interval", "1"])
        }
        let (server, port, target) = (served.server, served.port, served.target)
        defer { server.send(SIGKILL) }
        let pid = server.processIdentifier
        let baseline = try #require(Self.residentMiB(pid))

        let count = 200
        var held: [RawConnection] = []
        for _ in 0..<count {
            let connection = try RawConnection(port: port, receiveBuffer: 4096)
            connection.send("GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            held.append(connection)
        }
        // Every download under way and stopped by its client's window.
        #expect(await waitUntil(timeout: 20) { Self.sendQueue(port: port).sockets >= count }, "\(Self.sendQueue(port: port))")
        try await Task.sleep(for: .seconds(2))
        let queued = Self.sendQueue(port: port)
        let during = try #require(Self.residentMiB(pid))
        // Linux let each socket take about 3–4 MiB before TCP_NOTSENT_LOWAT capped it (the
        // cap is 256 KiB unsent; one 128 KiB read beyond it may be in the queue too).
        #expect(queued.bytes / queued.sockets <= 512 << 10, "\(queued.bytes / queued.sockets) bytes queued a socket")
        // 0.5–0.6 MiB a download on a quiet machine (a debug build), 1.6 MiB once in a CI run
        // with every suite at once (malloc's arenas for the busy threads); without the cap,
        // 1.2 GiB for the 200.
        #expect(during <= baseline + 512, "VmRSS \(baseline) MiB before, \(during) MiB with the downloads held")
        for connection in held { connection.close() }
        // The sweep (every second here) hands back what the downloads' buffers freed: glibc
        // kept hundreds of MiB of it, or more, for good. Most of it, not every page: on a
        // loaded machine (a full run here) the downloads took 410 MiB and 44 MiB of it stayed
        // (pages a live allocation still holds); quiet, they take about 110 and all of it goes.
        let kept = max(32, (during - baseline) / 4)
        let returned = await waitUntil(timeout: 15) { (Self.residentMiB(pid) ?? .max) <= baseline + kept }
        #expect(returned, "VmRSS \(baseline) MiB before, \(during) MiB during, \(Self.residentMiB(pid) ?? -1) MiB after")
        server.send(SIGTERM)
        #expect(await server.waitForExit() == 0)
    }
}
