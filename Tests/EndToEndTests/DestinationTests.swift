import Foundation
import HoistTestSupport
import Testing

/// The journal answers "already uploaded" only for the destination a file was uploaded to:
/// the same endpoint as another user, purpose, dialect or persona is somewhere else.
@Suite("the journal and the background engine tell destinations apart by more than the endpoint")
struct DestinationTests {
    @Test("a file uploaded as one user is uploaded again as another, and for another purpose; each owner can read its file")
    func anotherKeyOrPurposeUploadsAgain() async throws {
        try await TestServer.with { server in
            let files = try uploadCLIFiles([("a.txt", 3_000)])
            defer { try? FileManager.default.removeItem(atPath: files) }
            let state = try TempDirectory.make(prefix: "hoist-dest-state")
            let other = try await server.makeKey(personas: [101], user: "someone-else")
            func upload(key: String, purpose: String) async throws -> UploadCLIRun {
                let run = try await UploadCLIRun(
                    ["upload", files + "/a.txt", "--endpoint", server.baseURL, "--dialect", "lightfield",
                     "--api-key-env", "HOIST_TEST_KEY", "--purpose", purpose],
                    environment: ["HOIST_TEST_KEY": key, "XDG_STATE_HOME": state])
                try await run.finish()
                return run
            }
            let first = try await upload(key: server.key, purpose: "general")
            #expect(first.status == 0, "\(first.stderr)")
            let again = try await upload(key: server.key, purpose: "general")
            #expect(again.stdout == first.stdout && again.summary.contains("; 0 B in "),
                    "the same destination: the journal's answer, \(again.stdout) \(again.stderr)")

            let asOther = try await upload(key: other, purpose: "general")
            #expect(asOther.status == 0, "\(asOther.stderr)")
            let firstID = Self.fileID(first.stdout), otherID = Self.fileID(asOther.stdout)
            #expect(otherID != nil && otherID != firstID, "\(first.stdout) / \(asOther.stdout)")
            let readBack = try await LightfieldCalls(baseURL: server.baseURL, key: other).metadata(otherID ?? "")
            #expect(readBack.status == 200 && readBack.string("status") == "COMPLETED", "\(readBack.text)")

            let otherPurpose = try await upload(key: server.key, purpose: "meeting_transcript")
            #expect(otherPurpose.status == 0, "\(otherPurpose.stderr)")
            let purposeID = Self.fileID(otherPurpose.stdout)
            #expect(purposeID != nil && purposeID != firstID, "\(otherPurpose.stdout)")
            let meta = try await LightfieldCalls(baseURL: server.baseURL, key: server.key).metadata(purposeID ?? "")
            #expect(meta.string("purpose") == "meeting_transcript", "\(meta.text)")
        }
    }

    @Test("luw: a/same.png, then b/same.png, then a/same.png again: the third run uploads a's bytes again, as the name holds b's")
    func aNameOverwrittenSinceIsUploadedAgain() async throws {
        try await TestServer.with { server in
            let files = try uploadCLIFiles([("a/same.png", 2_000), ("b/same.png", 2_500)])
            defer { try? FileManager.default.removeItem(atPath: files) }
            let state = try TempDirectory.make(prefix: "hoist-dest-luw")
            func upload(_ path: String) async throws -> UploadCLIRun {
                let run = try await UploadCLIRun(
                    ["upload", path, "--endpoint", server.baseURL, "--dialect", "luw", "--api-key-env", "HOIST_TEST_KEY"],
                    environment: ["HOIST_TEST_KEY": server.key, "XDG_STATE_HOME": state])
                try await run.finish()
                return run
            }
            for path in ["a/same.png", "b/same.png", "a/same.png"] {
                let run = try await upload(files + "/" + path)
                #expect(run.status == 0 && run.stdout.hasPrefix("completed "), "\(path): \(run.stdout) \(run.stderr)")
                guard let url = run.stdout.split(whereSeparator: \.isWhitespace).first(where: { $0.hasPrefix("http") }).map(String.init) else { continue }
                let served = try await TestHTTP.send(.GET, url)
                let local = try Data(contentsOf: URL(fileURLWithPath: files + "/" + path))
                #expect(served.status == 200 && served.body == local, "\(path): \(url) serves \(served.body.count) bytes")
            }
            // Asked again with nothing changed, the journal answers: no new upload.
            let quiet = try await upload(files + "/a/same.png")
            #expect(quiet.status == 0 && quiet.summary.hasPrefix("hoist: 1 completed, 0 failed, 0 cancelled; 0 B in "), "\(quiet.stderr)")
        }
    }

    @Test("the background engine refuses a client at its endpoint that wants another purpose or key: exit 2, both destinations named")
    func backgroundEngineRefusesAnotherDestination() async throws {
        try await TestServer.with { server in
            try await BackgroundHome.with(server: server) { home in
                let files = try uploadCLIFiles([("one.txt", 100), ("two.txt", 200)])
                defer { try? FileManager.default.removeItem(atPath: files) }
                let first = try await home.run(["upload", files + "/one.txt"] + home.endpoint + ["--purpose", "general"])
                #expect(first.status == 0, "\(first.stderr)")
                #expect(home.enginePID != nil)
                let refused = try await home.run(["upload", files + "/two.txt"] + home.endpoint + ["--purpose", "meeting_transcript"])
                #expect(refused.status == 2, "\(refused.stdout) \(refused.stderr)")
                #expect(refused.stderr.contains("(lightfield, purpose general, key ") && refused.stderr.contains("(lightfield, purpose meeting_transcript, key ")
                        && refused.stderr.contains("hoist stop"), "\(refused.stderr)")
                let luw = try await home.run(["upload", files + "/two.txt", "--endpoint", server.baseURL, "--dialect", "luw",
                                              "--api-key-env", "HOIST_TEST_KEY"])
                #expect(luw.status == 2, "\(luw.stdout) \(luw.stderr)")
                #expect(luw.stderr.contains("(luw, "), "\(luw.stderr)")
            }
        }
    }

    /// The Lightfield id on a `completed PATH fil_… …` line.
    static func fileID(_ stdout: String) -> String? {
        stdout.split(separator: " ").first { $0.hasPrefix("fil_") }.map(String.init)
    }
}
