import Foundation
import Testing

@testable import HoistServer

@Suite("Random identifiers")
struct RandomIDTests {
    @Test("ids have the asked length, only [a-z0-9], and do not repeat")
    func shape() {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789")
        var seen = Set<String>()
        for length in [1, 12, 24, 40, 100] {
            for _ in 0..<200 {
                let id = RandomID.make(length: length)
                #expect(id.count == length)
                #expect(id.allSatisfy { allowed.contains($0) }, "\(id)")
                if length >= 12 { #expect(seen.insert(id).inserted, "\(id) came twice") }
            }
        }
    }

    /// A byte taken modulo 36 without dropping 252...255 makes a, b, c and d 8/7 as likely
    /// as the rest (+14%). Over 360,000 characters each is expected 10,000 times with a
    /// standard deviation of about 98, so a 5% band catches that bias and is never left by
    /// chance (5 standard deviations).
    @Test("every character is equally likely")
    func uniform() {
        var counts: [Character: Int] = [:]
        for _ in 0..<9_000 {
            for character in RandomID.make(length: 40) { counts[character, default: 0] += 1 }
        }
        #expect(counts.count == 36)
        for (character, count) in counts {
            #expect(abs(count - 10_000) < 500, "\(character): \(count)")
        }
    }

    @Test("uuids are version 4, RFC 4122 variant, and do not repeat")
    func uuid() {
        var seen = Set<UUID>()
        for _ in 0..<1_000 {
            let id = RandomID.uuid()
            let bytes = id.uuid
            #expect(bytes.6 >> 4 == 4)
            #expect(bytes.8 >> 6 == 0b10)
            #expect(id.uuidString.count == 36)
            #expect(seen.insert(id).inserted)
        }
    }
}
