import Foundation
import HoistServer
import HoistTestSupport
import Testing

@Suite("Lightfield complete")
struct CompleteTests {
    @Test("before any PUT → 409 upload_missing")
    func uploadMissing() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let id = try #require(try await lf.create(sizeBytes: 3).string("id"))
            let complete = try await lf.complete(id)
            #expect(complete.status == 409)
            #expect(complete.errorCode == "upload_missing")
        }
    }

    @Test("stored size ≠ sizeBytes → 422 size_mismatch; the bytes are discarded and may be PUT again")
    func sizeMismatch() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await lf.create(sizeBytes: 5)
            let id = try #require(created.string("id"))
            #expect(try await lf.put(created, body: Data("abc".utf8)).status == 200)
            let complete = try await lf.complete(id)
            #expect(complete.status == 422)
            #expect(complete.errorCode == "size_mismatch")
            #expect(try await lf.metadata(id).string("status") == "PENDING")
            #expect(try await lf.put(created, body: Data("abcde".utf8)).status == 200)
            #expect(try await lf.complete(id).string("status") == "COMPLETED")
        }
    }

    @Test("md5 given and different → 422 checksum_mismatch; session stays PENDING; a re-PUT completes")
    func checksumMismatch() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let body = Data("hello".utf8)
            let created = try await lf.create(sizeBytes: 5)
            let id = try #require(created.string("id"))
            _ = try await lf.put(created, body: Data("jello".utf8))
            let complete = try await lf.complete(id, md5: MD5Hex.of(body))
            #expect(complete.status == 422)
            #expect(complete.errorCode == "checksum_mismatch")
            #expect(try await lf.metadata(id).string("status") == "PENDING")
            #expect(try await ts.storedBlobCount() == 0)
            #expect(try await lf.complete(id).errorCode == "upload_missing")
            _ = try await lf.put(created, body: body)
            let retried = try await lf.complete(id, md5: MD5Hex.of(body))
            #expect(retried.status == 200)
            #expect(retried.string("md5") == MD5Hex.of(body))
        }
    }

    @Test("a malformed md5 → 400, the stored bytes kept: too short, not hex, or hex in full-width digits (which Character.isHexDigit takes)")
    func malformedMD5() async throws {
        try await TestServer.with { ts in
            let lf = LightfieldCalls(baseURL: ts.baseURL, key: ts.key)
            let created = try await lf.create(sizeBytes: 5)
            let id = try #require(created.string("id"))
            #expect(try await lf.put(created, body: Data("hello".utf8)).status == 200)
            // "５" is U+FF15, FULLWIDTH DIGIT FIVE; the rest is hello's md5.
            for bad in ["xyz", "5d41402abc4b2a76b9719d911017c59g", "\u{FF15}d41402abc4b2a76b9719d911017c592"] {
                let complete = try await lf.complete(id, md5: bad)
                #expect(complete.status == 400, "\(bad): \(complete.text)")
                #expect(complete.errorCode == "invalid_request")
            }
            // Nothing was discarded: the right md5 completes.
            let complete = try await lf.complete(id, md5: "5d41402abc4b2a76b9719d911017c592")
            #expect(complete.status == 200, "\(complete.text)")
        }
    }
}
