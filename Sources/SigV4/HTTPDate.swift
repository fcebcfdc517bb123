import Foundation

/// RFC 7231 dates (`Last-Modified`), as S3 writes them; for both the engine's `hoist status`
/// and the server's S3 blob store.
public enum HTTPDate {
    public static func parse(_ text: String) -> Date? {
        // A formatter per call: they are not Sendable, and this runs once per HEAD.
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }
}
