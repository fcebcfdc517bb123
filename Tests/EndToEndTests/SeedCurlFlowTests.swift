import Foundation
import HoistServer
import HoistTestSupport
import Testing

/// The seeds' own curl commands, as written, with only the host changed.
@Suite("Seed curl flows")
struct SeedCurlFlowTests {
    @Test("Luw: upload with -F, PUT with the three headers, finalize, then the final URL serves the file")
    func luwSeed() async throws {
        try await TestServer.with { ts in
            let token = try await ts.makeKey(personas: [123])
            let dir = try TempDirectory.make(prefix: "hoist-seed")
            let image = Data((0..<4096).map { UInt8($0 % 256) })
            try TestFiles.write(image, to: dir + "/image.jpg")

            let step1 = try await Shell.run("""
                curl -s -X POST \(ts.baseURL)/v2/upload \\
                  -H "Authorization: Bearer \(token)" \\
                  -F "filename=image.jpg" \\
                  -F "pid=123"
                """, in: dir)
            let answer = try #require(try JSONSerialization.jsonObject(with: Data(step1.stdout.utf8)) as? [String: Any])
            #expect(answer["status"] as? Bool == true)
            let signed = try #require(answer["signed_url"] as? String)
            let final = try #require(answer["final_url"] as? String)
            #expect(final == "\(ts.baseURL)/cdn/luwai/123/image.jpg")

            let step2 = try await Shell.run("""
                curl -s -o /dev/null -w '%{http_code}' -X PUT "\(signed)" \\
                  -H "Content-Type: image/jpeg" \\
                  -H "Cache-Control: max-age=315360000" \\
                  -H "Expires: Sun, 19 Jul 2030 18:06:32 GMT" \\
                  --data-binary "@image.jpg"
                """, in: dir)
            #expect(step2.stdout == "200")

            // The seed finalizes with a GET carrying the final URL as `url`, as its axios code does.
            let step3 = try await Shell.run("""
                curl -s -G \(ts.baseURL)/v2/finalize_upload --data-urlencode "url=\(final)" -H "Authorization: Bearer \(token)"
                """, in: dir)
            #expect(step3.stdout.replacingOccurrences(of: " ", with: "") == #"{"status":true}"#)

            let served = try await Shell.run("curl -s -D - -o served.jpg \"\(final)\"", in: dir)
            #expect(served.stdout.lowercased().contains("content-type: image/jpeg"))
            #expect(served.stdout.lowercased().contains("cache-control: max-age=315360000"))
            #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/served.jpg")) == image)
        }
    }

    @Test("Lightfield: create, PUT with uploadHeaders, complete, metadata, download URL, cancel")
    func lightfieldSeed() async throws {
        try await TestServer.with { ts in
            let key = ts.key
            let dir = try TempDirectory.make(prefix: "hoist-seed")
            let create = """
                curl -s \(ts.baseURL)/v1/files \\
                  -X POST \\
                  -H "Authorization: Bearer \(key)" \\
                  -H "Lightfield-Version: 2026-03-01" \\
                  -H "Content-Type: application/json" \\
                  -d '{
                    "purpose": "meeting_transcript",
                    "filename": "manual-upload-check.txt",
                    "mimeType": "text/plain",
                    "sizeBytes": 29
                  }'
                """
            let created = try #require(try JSONSerialization.jsonObject(with: Data(try await Shell.run(create).stdout.utf8)) as? [String: Any])
            #expect(created["status"] as? String == "PENDING")
            #expect(created["uploadHeaders"] as? [String: String] == ["content-type": "text/plain"])
            let fileID = try #require(created["id"] as? String)
            let uploadURL = try #require(created["uploadUrl"] as? String)

            let put = try await Shell.run("""
                printf 'hello from Lightfield upload\\n' > \(dir)/manual-upload-check.txt
                curl -i -X PUT "$UPLOAD_URL" \\
                  -H "content-type: text/plain" \\
                  --data-binary @\(dir)/manual-upload-check.txt
                """.replacingOccurrences(of: "$UPLOAD_URL", with: uploadURL))
            #expect(put.stdout.hasPrefix("HTTP/1.1 200"))

            let complete = try await Shell.run("""
                curl -s \(ts.baseURL)/v1/files/\(fileID)/complete \\
                  -X POST \\
                  -H "Authorization: Bearer \(key)" \\
                  -H "Lightfield-Version: 2026-03-01" \\
                  -H "Content-Type: application/json" \\
                  -d '{}'
                """)
            #expect(complete.stdout.contains(#""status":"COMPLETED""#))

            let metadata = try await Shell.run("""
                curl -s \(ts.baseURL)/v1/files/\(fileID) \\
                  -H "Authorization: Bearer \(key)" \\
                  -H "Lightfield-Version: 2026-03-01"
                """)
            #expect(metadata.stdout.contains(#""sizeBytes":29"#))
            let url = try await Shell.run("""
                curl -s \(ts.baseURL)/v1/files/\(fileID)/url \\
                  -H "Authorization: Bearer \(key)" \\
                  -H "Lightfield-Version: 2026-03-01"
                """)
            let download = try #require((try JSONSerialization.jsonObject(with: Data(url.stdout.utf8)) as? [String: Any])?["url"] as? String)
            #expect(try await Shell.run("curl -s \"\(download)\"").stdout == "hello from Lightfield upload\n")

            // The md5 example of the seed is the md5 of "hello".
            let second = try #require(try JSONSerialization.jsonObject(with: Data(try await Shell.run(
                create.replacingOccurrences(of: "\"sizeBytes\": 29", with: "\"sizeBytes\": 5")).stdout.utf8)) as? [String: Any])
            let secondID = try #require(second["id"] as? String)
            _ = try await Shell.run("printf hello | curl -s -X PUT \"\(try #require(second["uploadUrl"] as? String))\" -H 'content-type: text/plain' --data-binary @-")
            let withMD5 = try await Shell.run("""
                curl -s \(ts.baseURL)/v1/files/\(secondID)/complete -X POST -H "Authorization: Bearer \(key)" \\
                  -H "Lightfield-Version: 2026-03-01" -H "Content-Type: application/json" \\
                  -d '{ "md5": "5d41402abc4b2a76b9719d911017c592" }'
                """)
            #expect(withMD5.stdout.contains(#""md5":"5d41402abc4b2a76b9719d911017c592""#))

            let third = try #require(try JSONSerialization.jsonObject(with: Data(try await Shell.run(create).stdout.utf8)) as? [String: Any])
            let cancel = try await Shell.run("""
                curl -s \(ts.baseURL)/v1/files/\(try #require(third["id"] as? String))/cancel \\
                  -X POST \\
                  -H "Authorization: Bearer \(key)" \\
                  -H "Lightfield-Version: 2026-03-01"
                """)
            #expect(cancel.stdout.contains(#""status":"CANCELLED""#))
        }
    }
}
