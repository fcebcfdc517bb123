import Foundation

/// Pseudo-random file contents for tests, made a word at a time.
///
/// Tests run in parallel on the cooperative pool, which has one thread per core; a test that
/// makes its files a byte at a time (in a debug build, or with a system call per byte) holds
/// a pool thread for seconds, and every other test's engine, server and timers wait behind
/// it. A profile of a full run found byte-wise file making at 11 % of the whole process's
/// CPU; this makes the same megabytes in milliseconds.
public enum TestBytes {
    /// `count` bytes of xorshift64* output from `seed`: the same seed gives the same bytes,
    /// different seeds different ones.
    public static func pseudoRandom(count: Int, seed: UInt64) -> Data {
        // Whole words, the last one cut: one step of the generator per 8 bytes.
        let words = (count + 7) / 8
        var state = (seed &* 0x9E37_79B9_7F4A_7C15) | 1
        let values = [UInt64](unsafeUninitializedCapacity: words) { buffer, initialized in
            for index in 0..<words {
                state ^= state >> 12; state ^= state << 25; state ^= state >> 27
                buffer[index] = state &* 0x2545_F491_4F6C_DD1D
            }
            initialized = words
        }
        return values.withUnsafeBytes { Data(UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
    }

    /// Writes `count` pseudo-random bytes from `seed` (a fresh random seed by default) to `path`.
    public static func write(_ path: String, count: Int, seed: UInt64 = .random(in: 0...UInt64.max)) throws {
        try TestFiles.write(pseudoRandom(count: count, seed: seed), to: path)
    }
}
