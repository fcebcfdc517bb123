import Foundation

/// ISO 8601 timestamps (a session's `expiresAt`, S3's `Initiated`), without sharing a
/// non-Sendable formatter across tasks.
enum ISO8601 {
    /// The date `text` names: `YYYY-MM-DDTHH:MM:SS`, optional fractional seconds, then `Z`
    /// or `±HH:MM`, by arithmetic; any other form through Foundation's ISO 8601 styles.
    ///
    /// Why not Foundation every time: its first parse loads ICU's time-zone and calendar
    /// data, 1.75 MB of resident pages for the life of the process (measured from
    /// /proc/self/smaps), in every `hoist` that creates a session. The TUI holding a
    /// queue of 100,000 files peaked at 62.6–63.9 MiB against issue 12's 64 MiB.
    /// `ISO8601Tests` hold this to Foundation's answer.
    static func parse(_ text: String) -> Date? {
        if let date = parseCommonForm(text) { return date }
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// The common form, or nil for anything else (left to Foundation): a field out of
    /// range, a day the month lacks, a leap second, too many fraction digits, an offset
    /// beyond ±18:00, a year before 1583 (Foundation's calendar is Julian before the
    /// Gregorian reform of October 1582; this arithmetic is Gregorian only).
    static func parseCommonForm(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20 else { return nil }
        func number(_ from: Int, _ count: Int) -> Int? {
            var value = 0
            for byte in bytes[from..<(from + count)] {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
              year >= 1583, (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              hour < 24, minute < 60, second < 60
        else { return nil }
        var index = 19
        var fraction = 0.0
        if bytes[index] == UInt8(ascii: ".") {
            let start = index + 1
            index = start
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
            // Up to nanoseconds: exactly what a Double of seconds since 1970 can carry here.
            guard index > start, index - start <= 9, let digits = number(start, index - start) else { return nil }
            fraction = Double(digits) / pow(10, Double(index - start))
        }
        var offset = 0
        if index == bytes.count - 1, bytes[index] == UInt8(ascii: "Z") {
            offset = 0
        } else if index == bytes.count - 6, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-"),
                  bytes[index + 3] == UInt8(ascii: ":"), let hours = number(index + 1, 2), let minutes = number(index + 4, 2),
                  // Foundation makes no time zone beyond ±18 hours, and so no date.
                  minutes < 60, hours * 60 + minutes <= 18 * 60 {
            offset = (hours * 60 + minutes) * 60 * (bytes[index] == UInt8(ascii: "+") ? 1 : -1)
        } else {
            return nil
        }
        let seconds = daysSince1970(year: year, month: month, day: day) * 86_400 + hour * 3_600 + minute * 60 + second - offset
        // Counted from 2001, as a Date holds it, so the fraction is rounded once, as Foundation rounds it.
        return Date(timeIntervalSinceReferenceDate: Double(seconds - 978_307_200) + fraction)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard
    /// Hinnant's `days_from_civil`).
    static func daysSince1970(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
