import Foundation
import SigV4
import Testing

/// IMF-fixdates written by hand, checked against Foundation's own formatter and parser.
@Suite struct HTTPDateTests {
    @Test("RFC 9110's example, and dates across the calendar, read as Foundation's formatter writes them and back")
    func imfFixdates() throws {
        #expect(HTTPDate.format(Date(timeIntervalSince1970: 784_111_777)) == "Sun, 06 Nov 1994 08:49:37 GMT")
        let oracle = Date.VerbatimFormatStyle(
            format: "\(weekday: .abbreviated), \(day: .twoDigits) \(month: .abbreviated) \(year: .defaultDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits) GMT",
            locale: Locale(identifier: "en_US_POSIX"), timeZone: .gmt, calendar: Calendar(identifier: .gregorian))
        var generator = SystemRandomNumberGenerator()
        // The epoch, a leap day, a year's last second, a Luw Expires ten years on, and a spread of others.
        var instants: [TimeInterval] = [0, 951_782_400, 1_009_843_199, 2_080_000_000.5]
        for _ in 0..<500 { instants.append(TimeInterval(Int64.random(in: 0...4_102_444_800, using: &generator))) }
        for instant in instants {
            let date = Date(timeIntervalSince1970: instant)
            let text = HTTPDate.format(date)
            #expect(text == date.formatted(oracle), "\(instant)")
            #expect(HTTPDate.parse(text) == Date(timeIntervalSince1970: instant.rounded(.down)), "\(text)")
        }
    }
}
