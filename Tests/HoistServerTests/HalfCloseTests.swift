import Foundation
@testable import HoistServer
import HoistTestSupport
import NIOCore
import Testing

/// Clients that half-close once their requests are sent (`shutdown(SHUT_WR)`, as `nc -N`
/// and some proxies do) still read every answer whole: end of file from the client ends
/// what it asks, not what it is owed.
@Suite("Half-closed clients against the real server")
struct HalfCloseTests {
    /// One answer read off the wire: its status and how many body bytes came.
    private struct Answer {
        let status: Int
        let declared: Int
        let received: Int
    }

    /// Splits what a connection received into answers, each body by its `Content-Length`;
    /// the last takes whatever came, however short.
    private static func answers(in text: String) -> [Answer] {
        var rest = Substring(text)
        var found: [Answer] = []
        while let end = rest.range(of: "\r\n\r\n") {
            let head = rest[..<end.lowerBound].lowercased()
            let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
            let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            let body = rest[end.upperBound...].utf8
            let received = min(length, body.count)
            found.append(Answer(status: status, declared: length, received: received))
            rest = Substring(body.dropFirst(received))
        }
        return found
    }

    @Test("a client that half-closes after its requests gets every answer whole, a large download and the requests pipelined behind it, then end of file",
          .diskBlobsOnly, arguments: [false, true])
    func halfClosedClientGetsEveryAnswer(pipelined: Bool) async throws {
        try await TestServer.with { ts in
            // Far more than the socket's buffers hold: when the client's end of file ends the
            // server's request loop, much of the answer is still waiting to be written.
            let size = 8 << 20
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let (_, target) = try await lf.storedDownload(Data(repeating: 0x68, count: size), filename: "half.bin")
            let get = "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            let requests = pipelined ? get + "GET /no/such/path HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + get : get
            // Read at about 8 MiB/s: the server's request loop ends (at the client's end of
            // file) while most of each answer is still queued behind a slower reader.
            let connection = try RawConnection(port: ts.server.port, receiveBuffer: 65536)
            connection.send(requests)
            connection.shutdownWrite()
            let (text, closed) = await connection.readUntilClosed(timeout: 60, pace: (chunk: 65536, interval: 0.008))
            #expect(closed, "the connection stayed open after its answers")
            let got = Self.answers(in: text)
            #expect(got.map(\.status) == (pipelined ? [200, 404, 200] : [200]), "\(got)")
            #expect(got.allSatisfy { $0.received == $0.declared }, "an answer was cut short: \(got)")
            #expect(got.filter { $0.status == 200 }.allSatisfy { $0.declared == size }, "\(got)")
        }
    }

    @Test("a client that half-closes and then reads nothing is still let go at the send timeout: waiting for its answer to be written holds neither the connection nor the file for ever",
          .diskBlobsOnly, arguments: Array(stride(from: 512 << 10, through: 1 << 20, by: 64 << 10)) + [32 << 20])
    func halfClosedClientThatReadsNothingIsLetGo(size: Int) async throws {
        try await TestServer.with(configure: { $0.connectionLimits.sendTimeout = .seconds(1) }) { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let (id, target) = try await lf.storedDownload(Data(repeating: 0x6e, count: size), filename: "unread.bin")
            // A receive buffer of 4 KiB. Loopback's socket buffers take up to about 600 KiB
            // here: sizes a little above end the server's request loop with the last bytes
            // queued unwritten, under the high-water mark (its close is held for them), the
            // larger wait on the client mid-answer. Which size does which varies by machine,
            // so the sizes step through the range.
            let connection = try RawConnection(port: ts.server.port, receiveBuffer: 4096)
            connection.send("GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            connection.shutdownWrite()
            #expect(await waitUntil { connection.bytesWaiting > 0 }, "the download began")
            let blobs = ts.dataDirectory + "/blobs"
            #expect(await waitUntil { TestServer.openFiles(in: blobs)?.count == 0 }, "the unread download still holds its file")
            #expect(await waitUntil { !connection.peerHoldsIt }, "the unread download still holds its connection")
            let (text, closed) = await connection.readUntilClosed(timeout: 30)
            #expect(closed)
            #expect(text.hasPrefix("HTTP/1.1 200"))
            if size > 1 << 20 { #expect(text.utf8.count < size, "the whole answer was sent: the client did not hold it back") }
            #expect(try await lf.metadata(id).status == 200)
        }
    }
}
