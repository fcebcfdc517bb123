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
}
