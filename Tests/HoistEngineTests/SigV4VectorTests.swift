import SigV4
import Foundation
import HoistEngine
import Testing

// SigV4 against published data: the AWS Signature V4 test suite (as kept in
// awslabs/aws-c-auth) and S3 requests signed by botocore. SigV4Vectors/README.md says where
// each file comes from.

/// The AWS SigV4 test suite, header and query forms of every case.
@Suite("SigV4: AWS test suite vectors")
struct SigV4VectorTests {
    /// Every case of the suite's `v4/` folder (SigV4Vectors/README.md: none is left out).
    static let cases = [
        "get-header-key-duplicate", "get-header-value-multiline", "get-header-value-order", "get-header-value-trim",
        "get-relative-normalized", "get-relative-relative-normalized", "get-relative-relative-unnormalized",
        "get-relative-unnormalized", "get-slash-dot-slash-normalized", "get-slash-dot-slash-unnormalized",
        "get-slash-normalized", "get-slash-pointless-dot-normalized", "get-slash-pointless-dot-unnormalized",
        "get-slash-unnormalized", "get-slashes-normalized", "get-slashes-unnormalized", "get-space-normalized",
        "get-space-unnormalized", "get-unreserved", "get-utf8", "get-vanilla", "get-vanilla-empty-query-key",
        "get-vanilla-query", "get-vanilla-query-order-encoded", "get-vanilla-query-order-key-case",
        "get-vanilla-query-unreserved", "get-vanilla-utf8-query", "get-vanilla-with-session-token",
        "post-header-key-case", "post-header-key-sort", "post-header-value-case", "post-sts-header-after",
        "post-sts-header-before", "post-vanilla", "post-vanilla-empty-query-value", "post-vanilla-query",
        "post-x-www-form-urlencoded", "post-x-www-form-urlencoded-parameters",
    ]

    @Test func everyCaseOfTheCopiedSuiteIsListed() throws {
        let folder = try VectorFiles.root().appending(path: "v4")
        let found = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(Set(found) == Set(Self.cases))
    }

    @Test("header form", arguments: cases)
    func headerForm(_ name: String) throws {
        let vector = try SuiteCase(name)
        let signed = vector.signer.sign(vector.request, date: vector.date)

        #expect(signed.canonicalRequest == (try vector.file("header-canonical-request.txt")))
        #expect(signed.stringToSign == (try vector.file("header-string-to-sign.txt")))
        #expect(signed.signature == (try vector.file("header-signature.txt")))
        let expected = try RawRequest(vector.file("header-signed-request.txt")).headers
            .filter { Self.signerHeaders.contains($0.name.lowercased()) }
        #expect(Self.sorted(signed.headers) == Self.sorted(expected))
    }

    @Test("query form", arguments: cases)
    func queryForm(_ name: String) throws {
        let vector = try SuiteCase(name)
        let presigned = try vector.signer.presign(vector.request, expiresIn: .seconds(vector.context.expiration_in_seconds), date: vector.date)

        #expect(presigned.canonicalRequest == (try vector.file("query-canonical-request.txt")))
        #expect(presigned.stringToSign == (try vector.file("query-string-to-sign.txt")))
        #expect(presigned.signature == (try vector.file("query-signature.txt")))
        // The suite orders X-Amz-Expires after X-Amz-SignedHeaders and botocore before it,
        // and spells the path unencoded: compare decoded paths and query items as sets.
        let expected = try RawRequest(vector.file("query-signed-request.txt"))
        let ours = try #require(URLComponents(string: presigned.url))
        #expect(AWSPercentEncoding.decode(ours.percentEncodedPath) == AWSPercentEncoding.decode(expected.path))
        #expect(Self.sorted(Self.queryItems(ours.percentEncodedQuery ?? "")) == Self.sorted(Self.queryItems(expected.query)))
        #expect(ours.host == expected.headers.first { $0.name.lowercased() == "host" }?.value)
    }

    static let signerHeaders: Set<String> = ["authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"]

    static func sorted(_ headers: [SigV4Header]) -> [String] {
        headers.map { $0.name.lowercased() + ":" + $0.value }.sorted()
    }

    static func queryItems(_ query: String) -> [SigV4Header] {
        query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return SigV4Header(
                AWSPercentEncoding.decode(parts[0]) ?? "?", parts.count > 1 ? AWSPercentEncoding.decode(parts[1]) ?? "?" : "")
        }
    }
}

/// S3 requests botocore signed for fixed inputs at a fixed time (botocore/generate.py).
@Suite("SigV4: botocore's S3 signatures")
struct SigV4BotocoreTests {
    @Test("presigned URL", arguments: try BotocoreCases.load().presigned)
    func presignedURL(_ vector: BotocoreCases.Presigned) throws {
        let cases = try BotocoreCases.load()
        let signer = cases.signer(region: vector.region, sessionToken: vector.sessionToken)
        let request = SigV4Request(
            method: vector.method, scheme: vector.scheme, host: vector.host, path: .raw(vector.path),
            queryItems: vector.query.map(\.item), headers: vector.headers.map(\.header), payload: .unsigned)

        let date = try cases.date()
        let presigned = try signer.presign(request, expiresIn: .seconds(vector.expiresIn), date: date)

        #expect(presigned.url == vector.url)
        let expiry = date.addingTimeInterval(TimeInterval(vector.expiresIn))
        #expect(presigned.expiry == expiry)
        #expect(SigV4PresignedURL.expiry(of: vector.url) == expiry)
    }

    @Test("header-signed request", arguments: try BotocoreCases.load().headerSigned)
    func headerSigned(_ vector: BotocoreCases.HeaderSigned) throws {
        let cases = try BotocoreCases.load()
        let signer = cases.signer(region: vector.region, sessionToken: vector.sessionToken)
        let request = SigV4Request(
            method: vector.method, scheme: vector.scheme, host: vector.host, path: .raw(vector.path),
            queryItems: vector.query.map(\.item), headers: vector.headers.map(\.header),
            payload: vector.payload == "unsigned" ? .unsigned : .hashing(Array(vector.body.utf8)))

        let signed = signer.sign(request, date: try cases.date())

        #expect(signed.url == vector.url)
        #expect(SigV4VectorTests.sorted(signed.headers) == SigV4VectorTests.sorted(vector.signedHeaders.map(\.header)))
    }

    /// NFC and NFD spellings of a key are different keys; nothing on the way from the
    /// generator to the signer (JSON, String) may fold them together.
    @Test func nfcAndNFDKeysStayDistinct() throws {
        let cases = try BotocoreCases.load().presigned
        let nfc = try #require(cases.first { $0.name == "put-key-e-acute-nfc" })
        let nfd = try #require(cases.first { $0.name == "put-key-e-acute-nfd" })
        #expect(Array(nfc.path.unicodeScalars) != Array(nfd.path.unicodeScalars))
        #expect(nfc.url.contains("caf%C3%A9.txt"))
        #expect(nfd.url.contains("cafe%CC%81.txt"))
    }
}

/// What the vectors do not show: the URL reader, refusals, redaction, re-signing.
@Suite("SigV4: edges")
struct SigV4EdgeTests {
    let signer = SigV4Signer(
        credentials: SigV4Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "SECRET-b4nana", sessionToken: "TOKEN-ch3rry+/="),
        region: "us-east-1")
    let date = Date(timeIntervalSince1970: 1_773_500_966)  // 2026-03-14T15:09:26Z

    @Test func presignedURLExpiry() throws {
        let base = "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        #expect(SigV4PresignedURL.expiry(of: base + "&X-Amz-Date=20260314T150926Z&X-Amz-Expires=900") == date + 900)
        #expect(SigV4PresignedURL.expiry(of: base + "&x-amz-expires=60&x-amz-date=20260314T150926Z") == date + 60)
        let url = try #require(URL(string: base + "&X-Amz-Date=20260314T150926Z&X-Amz-Expires=0"))
        #expect(SigV4PresignedURL.expiry(of: url) == date)
        for broken in [
            base, base + "&X-Amz-Date=20260314T150926Z", base + "&X-Amz-Expires=900",
            base + "&X-Amz-Date=2026-03-14T15:09:26Z&X-Amz-Expires=900",
            base + "&X-Amz-Date=20261314T150926Z&X-Amz-Expires=900",
            base + "&X-Amz-Date=20260314T150926Z&X-Amz-Expires=-5",
            base + "&X-Amz-Date=20260314T150926Z&X-Amz-Expires=%2B5",
            base + "&X-Amz-Date=20260314T150926Z&X-Amz-Expires=99999999999999999999999",
            "not a url at all %%%",
        ] {
            #expect(SigV4PresignedURL.expiry(of: broken) == nil, "\(broken)")
        }
    }

    @Test func presignRefusesExpiriesSigV4DoesNotAllow() throws {
        let request = SigV4Request(method: "GET", host: "b.s3.amazonaws.com", path: .raw("/k"))
        for expiry: Duration in [.zero, .milliseconds(999), .seconds(-1), .seconds(604_801)] {
            #expect(throws: SigV4Error.expiryOutOfRange(expiry)) {
                try signer.presign(request, expiresIn: expiry, date: date)
            }
        }
        #expect(try signer.presign(request, expiresIn: .seconds(604_800), date: date).expiry == date + 604_800)
    }

    @Test func credentialsNeverPrintTheirSecrets() {
        let credentials = signer.credentials
        for text in [String(describing: credentials), String(reflecting: credentials), "\(credentials)", dumped(credentials)] {
            #expect(text.contains("AKIDEXAMPLE"))
            #expect(!text.contains("b4nana") && !text.contains("ch3rry"), "\(text)")
        }
    }

    @Test func aRequestFromAURLSignsLikeItsParts() throws {
        let url = try #require(URL(string: "http://127.0.0.1:9000/bucket/a+b%20c%C3%A9?uploadId=x%2By&uploads#fragment"))
        let fromURL = try #require(SigV4Request(method: "PUT", url: url, payload: .unsigned))
        let fromParts = SigV4Request(
            method: "PUT", scheme: "http", host: "127.0.0.1:9000", path: .raw("/bucket/a+b cé"),
            queryItems: [SigV4QueryItem("uploadId", "x+y"), SigV4QueryItem("uploads")], payload: .unsigned)
        #expect(fromURL == fromParts)
        #expect(signer.sign(fromURL, date: date).url == "http://127.0.0.1:9000/bucket/a%2Bb%20c%C3%A9?uploadId=x%2By&uploads")

        let defaultPort = try #require(URL(string: "https://b.s3.amazonaws.com:443"))
        #expect(SigV4Request(method: "GET", url: defaultPort)?.host == "b.s3.amazonaws.com")
        #expect(SigV4Request(method: "GET", url: defaultPort)?.path == .raw("/"))
        let ipv6 = try #require(URL(string: "http://[::1]:9000/b/k"))
        #expect(SigV4Request(method: "GET", url: ipv6)?.host == "[::1]:9000")
        let notUTF8 = try #require(URL(string: "https://b.s3.amazonaws.com/%FF"))
        #expect(SigV4Request(method: "GET", url: notUTF8) == nil)
    }

    @Test func signingAgainReplacesTheSignersOwnHeaders() {
        let request = SigV4Request(
            method: "PUT", host: "b.s3.amazonaws.com", path: .raw("/k"), headers: [SigV4Header("Content-MD5", "abc==")])
        let first = signer.sign(request, date: date)
        var retried = request
        retried.headers += signer.sign(request, date: date - 3600).headers
        #expect(signer.sign(retried, date: date) == first)
    }

    @Test func presigningAgainReplacesTheSignersOwnQueryItems() throws {
        let request = SigV4Request(
            method: "GET", host: "b.s3.amazonaws.com", path: .raw("/k"), queryItems: [SigV4QueryItem("versionId", "3")])
        let first = try signer.presign(request, expiresIn: .seconds(60), date: date)
        let old = try signer.presign(request, expiresIn: .seconds(900), date: date - 3600)
        let oldURL = try #require(URL(string: old.url))
        let again = try #require(SigV4Request(method: "GET", url: oldURL))
        #expect(try signer.presign(again, expiresIn: .seconds(60), date: date) == first)
    }

    @Test func anEncodedPathSignsLikeItsRawForm() {
        let raw = SigV4Request(method: "GET", host: "b.s3.amazonaws.com", path: .raw("/dir//a b/../é"))
        var encoded = raw
        encoded.path = .encoded("/dir//a%20b/../%C3%A9")
        #expect(signer.sign(encoded, date: date) == signer.sign(raw, date: date))
        #expect(signer.sign(raw, date: date).url == "https://b.s3.amazonaws.com/dir//a%20b/../%C3%A9")

        var normalising = signer
        normalising.options.normalizesPath = true
        #expect(normalising.canonicalRequest(raw).hasPrefix("GET\n/dir/%C3%A9\n"))
        #expect(normalising.canonicalRequest(encoded).hasPrefix("GET\n/dir/%C3%A9\n"))
        // The URL keeps the path as given; only the signature sees it normalised.
        #expect(normalising.sign(raw, date: date).url == "https://b.s3.amazonaws.com/dir//a%20b/../%C3%A9")
    }

    @Test func percentEncoding() {
        #expect(AWSPercentEncoding.encode("a b+c/é~-_.!*'()") == "a%20b%2Bc%2F%C3%A9~-_.%21%2A%27%28%29")
        #expect(AWSPercentEncoding.encode("/a b/c", keepingSlashes: true) == "/a%20b/c")
        #expect(AWSPercentEncoding.decode("a%20b+c%2f%zz%") == "a b+c/%zz%")
        #expect(AWSPercentEncoding.decode("%C3") == nil)
    }

    private func dumped(_ value: some Any) -> String {
        var text = ""
        dump(value, to: &text)
        return text
    }
}

// MARK: - loading the vectors

/// The copied vector files, from the test bundle.
enum VectorFiles {
    struct Missing: Error, CustomStringConvertible {
        let what: String
        var description: String { "test vectors: \(what) is missing" }
    }

    static func root() throws -> URL {
        guard let url = Bundle.module.url(forResource: "SigV4Vectors", withExtension: nil) else {
            throw Missing(what: "the SigV4Vectors resource folder")
        }
        return url
    }

    static func text(_ path: String) throws -> String {
        try String(contentsOf: root().appending(path: path), encoding: .utf8)
    }
}

/// One case of the AWS suite: its request, its context and its expected files.
struct SuiteCase {
    struct Context: Decodable {
        struct Credentials: Decodable {
            let access_key_id: String
            let secret_access_key: String
            let token: String?
        }
        let credentials: Credentials
        let expiration_in_seconds: Int64
        let normalize: Bool
        let region: String
        let service: String
        let sign_body: Bool
        let timestamp: String
        let omit_session_token: Bool?
    }

    let name: String
    let context: Context
    let request: SigV4Request
    let signer: SigV4Signer
    let date: Date

    init(_ name: String) throws {
        self.name = name
        context = try JSONDecoder().decode(Context.self, from: Data(VectorFiles.text("v4/\(name)/context.json").utf8))
        date = try Date(context.timestamp, strategy: .iso8601)
        signer = SigV4Signer(
            credentials: SigV4Credentials(
                accessKeyID: context.credentials.access_key_id, secretAccessKey: context.credentials.secret_access_key,
                sessionToken: context.credentials.token),
            region: context.region, service: context.service,
            options: SigV4Signer.Options(
                normalizesPath: context.normalize, addsContentSHA256Header: context.sign_body,
                signsSessionToken: !(context.omit_session_token ?? false)))

        let raw = try RawRequest(VectorFiles.text("v4/\(name)/request.txt"))
        let host = try #require(raw.headers.first { $0.name.lowercased() == "host" }).value
        var query: [SigV4QueryItem] = []
        for pair in raw.query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try #require(AWSPercentEncoding.decode(parts[0]))
            query.append(SigV4QueryItem(name, parts.count > 1 ? AWSPercentEncoding.decode(parts[1]) : nil))
        }
        request = SigV4Request(
            method: raw.method, host: host, path: .raw(try #require(AWSPercentEncoding.decode(raw.path))),
            queryItems: query,
            headers: raw.headers.filter { $0.name.lowercased() != "host" },
            payload: .hashing(Array(raw.body.utf8)))
    }

    /// An expected file, without the final newline some of them end with.
    func file(_ name: String) throws -> String {
        var text = try VectorFiles.text("v4/\(self.name)/\(name)")
        while text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}

/// An HTTP/1.1 request as the suite writes it: request line, headers (folded lines
/// continue the previous one), a blank line, the body.
struct RawRequest {
    let method: String
    let path: String
    let query: String
    let headers: [SigV4Header]
    let body: String

    init(_ text: String) throws {
        let (head, body) =
            if let blank = text.range(of: "\n\n") {
                (String(text[..<blank.lowerBound]), String(text[blank.upperBound...]))
            } else {
                (text, "")
            }
        var lines = head.split(separator: "\n", omittingEmptySubsequences: false)[...]
        let firstLine = lines.popFirst()
        let requestLine = try #require(firstLine)
        let method = try #require(requestLine.split(separator: " ").first)
        let version = " HTTP/1.1"
        #expect(requestLine.hasSuffix(version))
        let target = requestLine.dropFirst(method.count + 1).dropLast(version.count)
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        self.method = String(method)
        path = String(parts[0])
        query = parts.count > 1 ? String(parts[1]) : ""

        var headers: [SigV4Header] = []
        for line in lines where !line.isEmpty {
            if line.first == " " || line.first == "\t", let last = headers.indices.last {
                headers[last].value += " " + line.trimmingCharacters(in: .whitespaces)
            } else {
                let pair = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                headers.append(SigV4Header(String(pair[0]), pair.count > 1 ? String(pair[1]) : ""))
            }
        }
        self.headers = headers
        self.body = body
    }
}

/// botocore/cases.json.
struct BotocoreCases: Decodable, Sendable {
    let time: String
    let accessKeyID: String
    let secretAccessKey: String
    let presigned: [Presigned]
    let headerSigned: [HeaderSigned]

    struct Presigned: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let region: String
        let sessionToken: String?
        let method: String
        let scheme: String
        let host: String
        let path: String
        let query: [Pair]
        let headers: [Pair]
        let expiresIn: Int64
        let url: String
        var testDescription: String { name }
    }

    struct HeaderSigned: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let region: String
        let sessionToken: String?
        let method: String
        let scheme: String
        let host: String
        let path: String
        let query: [Pair]
        let headers: [Pair]
        let body: String
        let payload: String
        let url: String
        let signedHeaders: [Pair]
        var testDescription: String { name }
    }

    /// `["name", "value"]`, or `["uploads", null]` for a bare query name.
    struct Pair: Decodable, Sendable {
        let name: String
        let value: String?

        init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            name = try container.decode(String.self)
            value = try container.decodeNil() ? nil : container.decode(String.self)
        }

        var item: SigV4QueryItem { SigV4QueryItem(name, value) }
        var header: SigV4Header { SigV4Header(name, value ?? "") }
    }

    static func load() throws -> BotocoreCases {
        try JSONDecoder().decode(BotocoreCases.self, from: Data(VectorFiles.text("botocore/cases.json").utf8))
    }

    func date() throws -> Date { try Date(time, strategy: .iso8601) }

    func signer(region: String, sessionToken: String?) -> SigV4Signer {
        SigV4Signer(
            credentials: SigV4Credentials(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, sessionToken: sessionToken),
            region: region)
    }
}
