import Foundation
import Testing

@testable import HoistEngine

/// `ISO8601.parse` gives Foundation's answer, by arithmetic for the common form.
@Suite("ISO 8601 timestamps")
struct ISO8601Tests {
    static func foundation(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    static func same(_ a: Date?, _ b: Date?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (let a?, let b?): return a == b || abs(a.timeIntervalSinceReferenceDate - b.timeIntervalSinceReferenceDate) < 1e-6
        default: return false
        }
    }

    @Test("20,000 random timestamps (years 1583–9999, 0–9 fraction digits, Z or an offset up to ±17:59): Foundation's date, by arithmetic")
    func randomTimestamps() {
        var generator = SystemRandomNumberGenerator()
        var exact = 0
        for _ in 0..<20_000 {
            let year = Int.random(in: 1583...9999, using: &generator)
            let month = Int.random(in: 1...12, using: &generator)
            let day = Int.random(in: 1...ISO8601.daysIn(month: month, year: year), using: &generator)
            var text = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", year, month, day,
                              Int.random(in: 0...23, using: &generator), Int.random(in: 0...59, using: &generator),
                              Int.random(in: 0...59, using: &generator))
            let digits = Int.random(in: 0...9, using: &generator)
            if digits > 0 { text += "." + String((0..<digits).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) }) }
            switch Int.random(in: 0...2, using: &generator) {
            case 0: text += "Z"
            default:
                text += String(format: "%@%02d:%02d", Bool.random(using: &generator) ? "+" : "-",
                               Int.random(in: 0...17, using: &generator), Int.random(in: 0...59, using: &generator))
            }
            let fast = ISO8601.parseCommonForm(text)
            #expect(fast != nil, "\(text)")
            #expect(Self.same(fast, Self.foundation(text)), "\(text): \(String(describing: fast)) vs \(String(describing: Self.foundation(text)))")
            if fast == Self.foundation(text) { exact += 1 }
        }
        // Whole seconds are exact; a fraction may differ from Foundation's in its last bit.
        #expect(exact > 10_000)
    }

    @Test("forms the arithmetic leaves alone go to Foundation, which decides: rolled-over days, leap seconds, 24:00, lower case, junk")
    func otherForms() {
        let texts = ["2023-02-29T00:00:00Z", "2024-02-29T12:00:00Z", "1999-12-31T23:59:60Z", "2026-12-05T24:00:00Z",
                     "2026-12-05t12:00:00z", "2026-12-05T12:00:00.Z", "2026-13-01T00:00:00Z", "2026-12-05T12:00:00.1234567890Z",
                     "2026-12-05T12:00:00+0530", "2026-12-05 12:00:00Z", "2026-12-05T12:00Z", "", "garbage", "２０２６-12-05T12:00:00Z",
                     "2026-12-05T12:00:00.123+05:30", "2026-12-05T12:00:00-00:00", "2026-12-05T12:00:00Zjunk",
                     // Julian to Foundation before the reform: not the arithmetic's.
                     "1582-10-04T00:00:00Z", "1000-06-15T00:00:00Z", "0001-01-01T00:00:00Z",
                     // Foundation makes no zone beyond ±18 hours.
                     "2026-12-05T12:00:00+18:00", "2026-12-05T12:00:00-18:00", "2026-12-05T12:00:00+18:01",
                     "2026-12-05T12:00:00+19:00", "2026-12-05T12:00:00-23:59"]
        for text in texts {
            #expect(Self.same(ISO8601.parse(text), Self.foundation(text)), "\(text)")
        }
        #expect(ISO8601.parseCommonForm("2023-02-29T00:00:00Z") == nil)
        #expect(ISO8601.parseCommonForm("1999-12-31T23:59:60Z") == nil)
        #expect(ISO8601.parseCommonForm("1582-12-31T00:00:00Z") == nil)
        #expect(ISO8601.parseCommonForm("2024-02-29T12:00:00Z") == Date(timeIntervalSince1970: 1_709_208_000))
        #expect(ISO8601.parseCommonForm("1970-01-01T00:00:00Z") == Date(timeIntervalSince1970: 0))
        #expect(ISO8601.parseCommonForm("2026-12-05T12:00:00+05:30") == Date(timeIntervalSince1970: 1_796_452_200))
    }
}
