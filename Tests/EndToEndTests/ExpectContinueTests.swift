import Foundation
import HoistServer
import HoistTestSupport
import Testing

/// curl sends `Expect: 100-continue` for bodies over 1 MiB; the server must answer it
/// rather than leave curl waiting.
@Suite("Expect: 100-continue")
struct ExpectContinueTests {
    @Test("a valid PUT of 3 MiB gets 100 Continue at once; curl does not wait for its timeout")
    func continues() async throws {
        try await TestServer.with { ts in
            let dir = try TempDirectory.make(prefix: "hoist-expect")
            let size = 3 << 20
            try TestFiles.write(Data(repeating: 0x42, count: size), to: dir + "/big.bin")
            let created = try await LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
                .create(purpose: "general", filename: "big.bin", mimeType: "application/octet-stream", sizeBytes: size)
            let url = try #require(created.string("uploadUrl"))
            // curl's own trace shows the interim answer. The timeout is long enough that a
            // server which never sent it cannot pass on time alone, however crowded the machine.
            let result = try await Shell.run("""
                curl -sv -o /dev/null --expect100-timeout 60 -w '%{http_code} %{time_total}' -T big.bin \\
                  -H 'content-type: application/octet-stream' "\(url)"
                """, in: dir)
            let parts = result.stdout.split(separator: " ")
            #expect(parts.first == "200")
            #expect(result.stderr.contains("< HTTP/1.1 100 Continue"), "no 100 Continue in curl's trace:\n\(result.stderr)")
            #expect((Double(parts.last ?? "99") ?? 99) < 30, "curl waited for the 100-continue timeout: \(result.stdout)")
        }
    }

    @Test("a bad PUT is answered with its final status before any body byte is sent",
          arguments: ["tampered", "oversize"])
    func rejects(kind: String) async throws {
        try await TestServer.with { ts in
            let dir = try TempDirectory.make(prefix: "hoist-expect")
            try TestFiles.write(Data(repeating: 0x42, count: 3 << 20), to: dir + "/big.bin")
            let declared = kind == "oversize" ? 1 << 20 : 3 << 20
            let created = try await LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
                .create(purpose: "general", filename: "big.bin", mimeType: "application/octet-stream", sizeBytes: declared)
            var url = try #require(created.string("uploadUrl"))
            if kind == "tampered" { url = url.replacingOccurrences(of: "sig=", with: "sig=00") }
            let result = try await Shell.run("""
                curl -s -o body.json --expect100-timeout 60 -w '%{http_code} %{size_upload} %{time_total}' -T big.bin \\
                  -H 'content-type: application/octet-stream' "\(url)"
                """, in: dir)
            let parts = result.stdout.split(separator: " ")
            #expect(parts.count == 3)
            #expect(parts.first == (kind == "oversize" ? "413" : "403"))
            #expect(parts.dropFirst().first == "0", "curl sent the body anyway: \(result.stdout)")
            // Answered before curl's wait for the interim answer ran out (60 s).
            #expect((Double(parts.last ?? "99") ?? 99) < 30)
            let body = try String(contentsOfFile: dir + "/body.json", encoding: .utf8)
            #expect(body.contains(kind == "oversize" ? "too_large" : "signature_mismatch"))
        }
    }
}
