/// Lower-case hex of digests, for SigV4 and every module that signs or hashes. Hot: every
/// server request hashes its key and every storage URL is signed or verified;
/// `String(format: "%02x")` per byte cost more than the hashing itself.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func encode<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `text` is only ASCII hex digits, either case (and, given `count`, that many).
    /// Not `Character.isHexDigit`, which also takes the full-width digits and letters
    /// (U+FF10…): a checksum spelled so is malformed, not another checksum.
    public static func isDigits(_ text: some StringProtocol, count: Int? = nil) -> Bool {
        guard count.map({ text.utf8.count == $0 }) ?? true else { return false }
        return text.utf8.allSatisfy { byte in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
        }
    }
}
