import Foundation

/// Random identifiers for keys, users, sessions and blobs, from the kernel's CSPRNG.
///
/// Each identifier costs one `getrandom` call (`getentropy`, glibc 2.25 and musl).
/// Drawing characters one by one from `SystemRandomNumberGenerator` cost a call each: 24
/// for every session id. Foundation's `UUID()` opens, reads and closes `/dev/urandom` each
/// time, twice for every PUT. A small-file lifecycle made 30 such calls; now it makes 3.
enum RandomID {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
    /// The largest multiple of the alphabet's size that fits a byte: bytes at or past it are
    /// drawn again, so that every character is equally likely.
    private static let unbiasedBound = 256 / alphabet.count * alphabet.count

    /// `length` characters of `[a-z0-9]`.
    static func make(length: Int) -> String {
        var characters: [UInt8] = []
        characters.reserveCapacity(length)
        // A few spare bytes make a second draw rare (252 of 256 byte values are kept).
        var bytes = [UInt8](repeating: 0, count: length + length / 16 + 4)
        while characters.count < length {
            fill(&bytes)
            for byte in bytes where Int(byte) < unbiasedBound && characters.count < length {
                characters.append(alphabet[Int(byte) % alphabet.count])
            }
        }
        return String(decoding: characters, as: UTF8.self)
    }

    /// A version 4 (random) UUID.
    static func uuid() -> UUID {
        var bytes = [UInt8](repeating: 0, count: 16)
        fill(&bytes)
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }

    /// Fills `bytes` from the kernel: one `getrandom(2)` for up to 256 bytes. Should that
    /// fail, `SystemRandomNumberGenerator` fills it (8 bytes a call), and it traps rather
    /// than hand out anything predictable.
    private static func fill(_ bytes: inout [UInt8]) {
        let filled = bytes.withUnsafeMutableBytes { buffer -> Bool in
            guard let base = buffer.baseAddress, buffer.count <= 256 else { return false }
            return getentropy(base, buffer.count) == 0
        }
        if filled { return }
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = generator.next() }
    }
}
