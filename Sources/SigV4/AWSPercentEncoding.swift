/// Percent-encoding as SigV4 and S3 want it.
///
/// The RFC 3986 unreserved characters (`A–Z a–z 0–9 - _ . ~`) stay as they are; every other
/// byte of the UTF-8 form becomes `%XX` in upper-case hex. Foundation's
/// `addingPercentEncoding` is not used: its character sets keep `+`, `!`, `*`, `'`, `(`, `)`
/// and more, which AWS encodes, and a signature over a different encoding is a different
/// signature. Working on UTF-8 bytes also keeps `é` in NFC (`%C3%A9`) apart from `é` in NFD
/// (`e%CC%81`): they are two different S3 keys although Swift compares them equal.
public enum AWSPercentEncoding {
    /// `string` percent-encoded; with `keepingSlashes`, `/` stays (an S3 object path, each
    /// segment encoded once), otherwise it becomes `%2F` (a query name or value).
    public static func encode(_ string: String, keepingSlashes: Bool = false) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            if isUnreserved(byte) || (keepingSlashes && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(upperHex[Int(byte >> 4)])
                out.append(upperHex[Int(byte & 0x0f)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `string` with every `%XX` replaced by its byte, or nil when the result is not UTF-8.
    ///
    /// `+` stays `+`: in a URL path or an S3 query it is a plus sign, not a space. A `%` not
    /// followed by two hex digits stays as it is, as browsers and most servers do.
    public static func decode(_ string: some StringProtocol) -> String? {
        let bytes = Array(string.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    private static let upperHex = Array("0123456789ABCDEF".utf8)

    /// One of RFC 3986's unreserved characters, which no percent-encoding changes.
    public static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
