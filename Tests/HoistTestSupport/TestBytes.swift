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
        var data = Data(count: count)
        data.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }  // no bytes
            var state = (seed &* 0x9E37_79B9_7F4A_7C15) | 1
            let words = count / 8
            let wordPointer = base.assumingMemoryBound(to: UInt64.self)
            for index in 0..<words {
                state ^= state >> 12; state ^= state << 25; state ^= state >> 27
                wordPointer[index] = state &* 0x2545_F491_4F6C_DD1D
            }
            state ^= state >> 12; state ^= state << 25; state ^= state >> 27
            var last = state &* 0x2545_F491_4F6C_DD1D
            for index in (words * 8)..<count {
                raw[index] = UInt8(truncatingIfNeeded: last)
                last >>= 8
            }
        }
        return data
    }

    /// Writes `count` pseudo-random bytes from `seed` (a fresh random seed by default) to `path`.
    public static func write(_ path: String, count: Int, seed: UInt64 = .random(in: 0...UInt64.max)) throws {
        try pseudoRandom(count: count, seed: seed).write(to: URL(fileURLWithPath: path))
    }
}
