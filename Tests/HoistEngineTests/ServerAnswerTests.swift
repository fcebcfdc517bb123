import Foundation
import NIOCore
import Testing
@testable import HoistEngine

/// Error answers as S3 and the dialects send them: read, put on one line, and classified
/// (retry, new session, final) the way the AWS SDKs do.
@Suite("server answers: S3 XML errors, one-line messages, retry and session rules")
struct ServerAnswerTests {
    static func failure(_ status: Int, _ body: String) -> EngineError {
        HTTPTransport.failure(HTTPTransport.Answer(status: status, body: ByteBuffer(string: body)))
    }

    static func s3(_ code: String, _ message: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <Error>
          <Code>\(code)</Code>
          <Message>\(message)</Message>
          <RequestId>4442587FB7D0A2F9</RequestId>
        </Error>
        """
    }

    @Test("S3's XML error: code and message read, the message on one line, the code in --json")
    func xmlError() throws {
        let error = Self.failure(503, Self.s3("SlowDown", "Please reduce\n  your request rate."))
        #expect(error.serverCode == "SlowDown")
        #expect(error.serverMessage == "Please reduce your request rate.")
        #expect(error.message == "server answered 503 SlowDown: Please reduce your request rate.")
        #expect(error.isTransient)
        let line = try #require(EngineEvent(job: JobID(1), path: "/a", kind: .failed(error)).jsonLine(dialect: .lightfield, remoteID: nil))
        #expect(!line.contains("\n") && !line.contains("\\n"))
        #expect(line.contains(#""server_code":"SlowDown""#) && line.contains(#""status":503"#), "\(line)")
    }

    @Test("RequestTimeout, SlowDown, InternalError, ServiceUnavailable and 5xx are retried; other 4xx are final",
          arguments: [
              (400, "RequestTimeout", true), (503, "SlowDown", true), (500, "InternalError", true), (503, "ServiceUnavailable", true),
              (502, "BadGateway", true), (400, "InvalidArgument", false), (400, "EntityTooSmall", false), (404, "NoSuchKey", false),
              (400, "InvalidDigest", false),
          ])
    func retryRules(status: Int, code: String, retried: Bool) {
        let error = Self.failure(status, Self.s3(code, "text"))
        #expect(error.isTransient == retried, "\(status) \(code)")
        #expect(!error.needsNewSession)
    }

    @Test("ExpiredToken, AccessDenied 'Request has expired' and a 403 that says expired get a new session; other denials do not")
    func newSessionRules() {
        #expect(Self.failure(400, Self.s3("ExpiredToken", "The provided token has expired.")).needsNewSession)
        #expect(Self.failure(400, Self.s3("ExpiredToken", "x")).serverCode == "ExpiredToken")
        #expect(Self.failure(403, Self.s3("AccessDenied", "Request has expired")).needsNewSession)
        #expect(Self.failure(403, #"{"error":{"type":"expired","message":"upload URL expired"}}"#).needsNewSession)
        let denied = Self.failure(403, Self.s3("AccessDenied", "Access Denied"))
        #expect(!denied.needsNewSession && !denied.isTransient)
        #expect(!Self.failure(403, Self.s3("SignatureDoesNotMatch", "The request signature we calculated does not match")).needsNewSession)
    }

    @Test("the dialects' JSON errors read as before")
    func jsonErrors() {
        let lightfield = Self.failure(400, #"{"error":{"type":"invalid_request","message":"bad\nfield"}}"#)
        #expect(lightfield.serverCode == "invalid_request" && lightfield.serverMessage == "bad field")
        let luw = Self.failure(401, #"{"error":"unauthorized","message":"Invalid API key"}"#)
        #expect(luw.serverCode == "unauthorized" && luw.serverMessage == "Invalid API key")
        #expect(Self.failure(412, Self.s3("PreconditionFailed", "At least one of the pre-conditions you specified did not hold"))
            .codeName == "nameTaken")
    }

    @Test("whatever the body (HTML, control characters, megabytes, entities), the message is one short line")
    func hostileBodies() {
        let html = Self.failure(502, "<html>\n<head><title>502 Bad Gateway</title></head>\r\n<body>\u{1B}[31mnginx</body>\n</html>")
        #expect(!html.message.contains("\n") && !html.message.contains("\r") && !html.message.contains("\u{1B}"), "\(html.message)")
        #expect(html.isTransient)
        let long = Self.failure(400, String(repeating: "x\n", count: 1_000_000))
        #expect(long.message.count < 400)
        let entity = Self.failure(400, #"<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]><Error><Code>&x;</Code><Message>m</Message></Error>"#)
        #expect(!(entity.message.contains("root:")), "an external entity is never read")
        #expect(Self.failure(500, "").message == "server answered 500: HTTP 500")
        let separators = Self.failure(400, #"{"error":"x","message":"a\u2028b\u2029c"}"#)
        #expect(separators.serverMessage == "a b c")
    }

    @Test("a signed URL's expiry: the earlier of the server's word and X-Amz-Date + X-Amz-Expires")
    func expiry() {
        let url = "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261201T120000Z&X-Amz-Expires=900&X-Amz-Signature=ab"
        let signed = Date(timeIntervalSince1970: 1_796_126_400 + 900)
        #expect(UploadAPI.expiry(declared: nil, url: url) == signed)
        #expect(UploadAPI.expiry(declared: signed.addingTimeInterval(600), url: url) == signed)
        #expect(UploadAPI.expiry(declared: signed.addingTimeInterval(-60), url: url) == signed.addingTimeInterval(-60))
        #expect(UploadAPI.expiry(declared: signed, url: "http://127.0.0.1/storage/x?expires=1&signature=s") == signed)
        #expect(UploadAPI.expiry(declared: nil, url: "http://127.0.0.1/storage/x") == nil)
    }
}
