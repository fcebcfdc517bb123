import Foundation

/// RFC 7231 dates (`Last-Modified`), as S3 writes them; for both the engine's `hoist status`
/// and the server's S3 blob store.
public enum HTTPDate {
    /// `date` as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), in English whatever the
    /// process's locale (the TUI sets one for ncurses). From the calendar fields `gmtime_r`
    /// gives, not `Date.VerbatimFormatStyle`: that one is ICU's, and its first use maps
    /// 8.5 MiB of ICU data into the process (measured in a scratch program), paid by every
    /// Luw upload for its `Expires` header.
    public static func format(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var fields = tm()
        gmtime_r(&seconds, &fields)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(weekdays[Int(fields.tm_wday)]), \(two(fields.tm_mday)) \(months[Int(fields.tm_mon)]) \(fields.tm_year + 1900) "
            + "\(two(fields.tm_hour)):\(two(fields.tm_min)):\(two(fields.tm_sec)) GMT"
    }

    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    public static func parse(_ text: String) -> Date? {
        // A formatter per call: they are not Sendable, and this runs once per HEAD.
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }
}
