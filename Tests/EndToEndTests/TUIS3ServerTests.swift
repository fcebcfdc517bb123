import Foundation
import HoistServer
import HoistTestSupport
import Testing

/// The TUI, unchanged, against a server whose bytes go straight to S3 (moto).
@Suite("hoist TUI against an S3-backed hoist serve", .serialized)
struct TUIS3ServerTests {
    @Test("two files uploaded from the TUI land in the server's bucket, COMPLETED with the right md5")
    func uploadsLandInTheBucket() async throws {
        let blobs = try await TestS3Blobs.make("tui")
        let bucket = blobs.bucket
        try await TestServer.with(configure: { blobs.apply(to: &$0) }) { ts in
            let files = try makeFiles([("small.txt", 2000), ("bigger.bin", 2_000_000)])
            try await TUIRun.with(server: ts, files: files) { run in
                try await run.tmux.wait(for: "bigger.bin")
                try await run.tmux.send("a", "u")
                try await run.tmux.wait(for: "2/2 done")
                for name in ["small.txt", "bigger.bin"] {
                    let rows = try await serverFiles(ts, named: name)
                    #expect(rows.first?["status"] as? String == "COMPLETED")
                    let local = try Data(contentsOf: URL(fileURLWithPath: files + "/" + name))
                    #expect(rows.first?["md5"] as? String == MD5Hex.of(local))
                    let id = try #require(rows.first?["id"] as? String)
                    #expect(try await MotoS3.object(bucket: bucket, key: "uploads/" + id) == local)
                }
                try await run.tmux.send("q")
                try await run.tmux.wait(for: "EXIT=0")
            }
        }
    }
}

/// `hoist upload`, the binary, unchanged against a server whose bytes go straight to S3.
@Suite("hoist upload against an S3-backed hoist serve")
struct UploadS3ServerTests {
    @Test("Lightfield and Luw: one completed line per file, md5 right, the bytes in the server's bucket")
    func bothDialectsLandInTheBucket() async throws {
        let blobs = try await TestS3Blobs.make("cli")
        let bucket = blobs.bucket
        try await TestServer.with(configure: { blobs.apply(to: &$0) }) { ts in
            let files = try uploadCLIFiles([("notes.txt", 3000), ("photo.jpg", 700_000)])
            let lightfield = try await UploadCLIRun.upload([files + "/notes.txt"], server: ts)
            #expect(lightfield.status == 0, "\(lightfield.stderr)")
            let id = try #require(lightfield.stdout.firstMatch(of: /completed \S+ (fil_\w+) md5=(\w+)/))
            let notes = try Data(contentsOf: URL(fileURLWithPath: files + "/notes.txt"))
            #expect(String(id.2) == MD5Hex.of(notes))
            #expect(try await MotoS3.object(bucket: bucket, key: "uploads/" + id.1) == notes)

            let luw = try await UploadCLIRun.upload([files + "/photo.jpg"], server: ts, extra: ["--dialect", "luw", "--pid", "100"])
            #expect(luw.status == 0, "\(luw.stderr)")
            let photo = try Data(contentsOf: URL(fileURLWithPath: files + "/photo.jpg"))
            #expect(luw.stdout.contains("md5=" + MD5Hex.of(photo)), "\(luw.stdout)")
            let keys = try await MotoS3.keys(bucket: bucket)
            // Finalized: the bytes are at a key no upload URL names (see S3LuwFinalizeTests).
            #expect(!keys.contains { $0.hasPrefix("uploads/upl_") }, "\(keys)")
            let luwKey = try #require(keys.first { $0.hasPrefix("objects/upl_") })
            #expect(try await MotoS3.object(bucket: bucket, key: luwKey) == photo)
            // `hoist url` follows the final URL's redirect to the bucket to see the file served.
            let final = String(try #require(luw.stdout.firstMatch(of: /completed \S+ (http\S+)/)).1)
            let url = try await UploadCLIRun.luwURL(final, server: ts)
            #expect(url.status == 0 && url.stdout == final + "\n", "\(url.stdout) \(url.stderr)")
        }
    }
}
