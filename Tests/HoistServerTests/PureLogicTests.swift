import Foundation
import Testing

@testable import HoistServer

@Suite("Names and signing")
struct PureLogicTests {
    @Test("stamping puts _<ms> before the last extension")
    func stamp() {
        #expect(FileNames.stamp("playbook.md", millis: 1_713_045_600_000) == "playbook_1713045600000.md")
        #expect(FileNames.stamp("archive.tar.gz", millis: 1) == "archive.tar_1.gz")
        #expect(FileNames.stamp("README", millis: 1) == "README_1")
        #expect(FileNames.stamp(".env", millis: 1) == ".env_1")
        // A name near the 255-byte limit loses the end of its stem, by whole characters, not its stamp or extension.
        let long = String(repeating: "é", count: 125) + ".md"
        let stamped = FileNames.stamp(long, millis: 1_713_045_600_000)
        #expect(stamped.utf8.count <= 255 && stamped.hasSuffix("é_1713045600000.md"), "\(stamped.utf8.count)")
        #expect(FileNames.stamp(String(repeating: "a", count: 255), millis: 1).utf8.count == 255)
        #expect(FileNames.stamp("a." + String(repeating: "x", count: 250), millis: 1_713_045_600_000).utf8.count == 255)
    }

    @Test("sanitising keeps ordinary names, normalises to NFC and refuses paths and control characters")
    func sanitize() throws {
        #expect(try FileNames.sanitize(" report.pdf ") == "report.pdf")
        #expect(try FileNames.sanitize("e\u{301}te\u{301}.txt") == "\u{E9}t\u{E9}.txt")
        #expect(try FileNames.sanitize("\u{2764}\u{FE0F}.png") == "\u{2764}\u{FE0F}.png", "an emoji's presentation selector is no hiding")
        // Default-ignorable scalars draw nothing: "\u{3164}.png" reads as ".png".
        for bad in ["", "..", "a/b", "a\\b", "x\u{7F}", "x\u{1B}[31m", "\u{3164}.png", "a\u{115F}.png", "a\u{34F}.txt", "x\u{85}.txt"] {
            #expect(throws: APIError.self) { try FileNames.sanitize(bad) }
        }
    }

    @Test("extensions are lowercased; none for dotfiles or plain names")
    func extensions() {
        #expect(FileNames.fileExtension("A.JPG") == "jpg")
        #expect(FileNames.fileExtension("a.tar.gz") == "gz")
        #expect(FileNames.fileExtension(".bashrc") == "")
        #expect(FileNames.fileExtension("README") == "")
    }

    @Test("a signature covers method, path, expiry and header values, not header order or case")
    func signing() {
        let signer = URLSigner(secret: Data(repeating: 7, count: 32))
        let headers = [("content-type", "text/plain"), ("if-none-match", "*")]
        let sig = signer.signature(method: "PUT", path: "/storage/fil_1/a.txt", expires: 100, headers: headers)
        #expect(sig.count == 64)
        #expect(signer.verify(sig, method: "PUT", path: "/storage/fil_1/a.txt", expires: 100, headers: headers.reversed()))
        #expect(signer.verify(sig.uppercased(), method: "PUT", path: "/storage/fil_1/a.txt", expires: 100,
                              headers: [("Content-Type", "text/plain"), ("If-None-Match", "*")]))
        #expect(!signer.verify(sig, method: "GET", path: "/storage/fil_1/a.txt", expires: 100, headers: headers))
        #expect(!signer.verify(sig, method: "PUT", path: "/storage/fil_2/a.txt", expires: 100, headers: headers))
        #expect(!signer.verify(sig, method: "PUT", path: "/storage/fil_1/a.txt", expires: 101, headers: headers))
        #expect(!signer.verify(sig, method: "PUT", path: "/storage/fil_1/a.txt", expires: 100, headers: [headers[0]]))
        #expect(!signer.verify(String(sig.dropLast()), method: "PUT", path: "/storage/fil_1/a.txt", expires: 100, headers: headers))
        let other = URLSigner(secret: Data(repeating: 8, count: 32))
        #expect(!other.verify(sig, method: "PUT", path: "/storage/fil_1/a.txt", expires: 100, headers: headers))
    }

    @Test("final URLs map to object keys; anything else does not")
    func finalURLs() {
        #expect(LuwRoutes.objectKey(finalURL: "http://h:1/cdn/luwai/123/image.jpg") == "luwai/123/image.jpg")
        #expect(LuwRoutes.objectKey(finalURL: "/cdn/luwai/5/a%20b.png") == "luwai/5/a b.png")
        #expect(LuwRoutes.objectKey(finalURL: "http://h/cdn/luwai/x/a.png") == nil)
        #expect(LuwRoutes.objectKey(finalURL: "http://h/a.png") == nil)
        // Only a URL as /v2/upload writes it: no other scheme, query, fragment, empty
        // segment, path before /cdn/ (but --public-url's), or spelling of the pid.
        for other in ["ftp://h/cdn/luwai/1/a.png", "http://h/cdn/luwai/1/a.png?x=1", "http://h/cdn/luwai/1/a.png#f",
                      "http://h/cdn//luwai/1/a.png", "http://h//cdn/luwai/1/a.png", "http://h/cdn/luwai/1//a.png",
                      "http://h/cdn/luwai/1/a.png/", "http://h/x/cdn/luwai/1/a.png", "http://h/luwai/1/a.png",
                      "http://h/cdn/luwai/0456/a.png", "http://h/cdn/luwai/+456/a.png", "//h/cdn/luwai/1/a.png",
                      "http:///cdn/luwai/1/a.png", "cdn/luwai/1/a.png"] {
            #expect(LuwRoutes.objectKey(finalURL: other) == nil, "\(other)")
        }
        #expect(LuwRoutes.objectKey(finalURL: "HTTPS://cdn.example/cdn/luwai/-7/a.png") == "luwai/-7/a.png")
        #expect(LuwRoutes.objectKey(finalURL: "https://h/hoist/cdn/luwai/1/a.png", basePath: "/hoist") == "luwai/1/a.png")
        #expect(LuwRoutes.objectKey(finalURL: "/hoist/cdn/luwai/1/a.png", basePath: "/hoist/") == "luwai/1/a.png")
        #expect(LuwRoutes.objectKey(finalURL: "/hoist/cdn/luwai/1/a.png", basePath: "/hoist//") == "luwai/1/a.png")
        // The base the server hands URLs out from has no trailing slash, however it was given.
        #expect(PublicBase("https://h/x//").value == "https://h/x" && PublicBase("http://h:1").value == "http://h:1")
        #expect(LuwRoutes.objectKey(finalURL: "https://h/cdn/luwai/1/a.png", basePath: "/hoist") == nil)
    }
    @Test("trimming whitespace is Foundation's trimming of .whitespaces: tab, every Zs and U+200B, not line breaks or other invisible marks")
    func trimmingWhitespaceMatchesFoundation() {
        // Whitespace Foundation trims (tab, space, no-break, em and ideographic spaces) and
        // look-alikes it keeps (line breaks, NEL, VT, FF, zero-width space, BOM, Hangul
        // filler), among letters, a combining mark and an astral scalar.
        let pieces: [String] = [" ", "\t", "\u{A0}", "\u{2003}", "\u{3000}", "\u{202F}", "\u{1680}",
                                "\n", "\r", "\u{85}", "\u{B}", "\u{C}", "\u{200B}", "\u{FEFF}", "\u{3164}",
                                "a", "Z", "\u{E9}", "\u{301}", "\u{1F600}", "/"]
        var random = SystemRandomNumberGenerator()
        var samples = pieces + ["", "  a b  ", "\t\u{A0}x\u{3000}"]
        samples += (0..<20_000).map { _ in (0..<Int.random(in: 0...7, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined() }
        let mismatches = samples.filter { $0.trimmingWhitespace() != $0.trimmingCharacters(in: .whitespaces) }
        let first = mismatches.prefix(3).map { $0.unicodeScalars.map { String($0.value, radix: 16) } }
        #expect(mismatches.count == 0, "e.g. \(first)")
        // Every scalar alone: trimmed away exactly when Foundation trims it.
        let differing = (0..<0x110000).compactMap(Unicode.Scalar.init).filter { scalar in
            (String(scalar).trimmingWhitespace().isEmpty) != CharacterSet.whitespaces.contains(scalar)
        }
        #expect(differing.count == 0, "\(differing.prefix(5).map { String($0.value, radix: 16) })")
        #expect(Substring("x  key \t").dropFirst().trimmingWhitespace() == "key")
    }


    @Test("timestamps are ISO 8601 UTC with milliseconds")
    func timestamps() {
        #expect(Timestamp.string(Date(millis: 1_775_649_600_000)) == "2026-04-08T12:00:00.000Z")
        #expect(Timestamp.string(Date(millis: 1_775_649_600_042)) == "2026-04-08T12:00:00.042Z")
    }

    @Test("timestamps are what Foundation's ISO 8601 formatter writes, from 1583 to 9999, before 1970 and on leap days")
    func timestampsMatchFoundation() {
        // Foundation's Gregorian calendar turns Julian before October 1582; ISO 8601, and
        // the API, count Gregorian years back to year 1 (checked below by hand).
        let first: Int64 = -12_212_553_600_000  // 1583-01-01T00:00:00.000Z
        let last: Int64 = 253_402_300_799_999  // 9999-12-31T23:59:59.999Z
        var samples: [Int64] = [first, last, 0, -1, 999, -999, -1000, -86_400_001,
                                951_782_400_000, 951_868_799_999,  // 2000-02-29, its first and last millisecond
                                4_107_542_400_000,  // 2100-03-01: 2100 is no leap year
                                1_709_164_800_123]  // 2024-02-29
        var random = SystemRandomNumberGenerator()
        samples += (0..<20_000).map { _ in Int64.random(in: first...last, using: &random) }
        var mismatches: [String] = []
        for millis in samples {
            let (seconds, fraction) = millis.floorDivided(by: 1000)
            let whole = Date(timeIntervalSince1970: Double(seconds)).formatted(Date.ISO8601FormatStyle())
            let expected = whole.dropLast() + "." + String(repeating: "0", count: 3 - String(fraction).count) + String(fraction) + "Z"
            let written = Timestamp.string(Date(millis: millis))
            if written != expected { mismatches.append("\(millis): \(written), not \(expected)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
        #expect(Timestamp.string(Date(millis: -62_135_596_800_000)) == "0001-01-01T00:00:00.000Z")
        #expect(Timestamp.string(Date(millis: -1)) == "1969-12-31T23:59:59.999Z")
    }
}
