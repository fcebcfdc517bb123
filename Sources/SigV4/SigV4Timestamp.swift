import Foundation

/// The two spellings of a signing time: `20150830T123600Z` (`X-Amz-Date`, ISO 8601 basic
/// format in UTC) and `20150830` (the date in the credential scope).
struct SigV4Timestamp: Sendable, Hashable {
    /// `yyyyMMdd'T'HHmmss'Z'`.
    let amzDate: String
    /// `yyyyMMdd`.
    var dateStamp: String { String(amzDate.prefix(8)) }

    init(_ date: Date) {
        amzDate = date.formatted(Self.style)
    }

    /// The instant an `X-Amz-Date` value names, or nil when it is not
    /// `yyyyMMdd'T'HHmmss'Z'`.
    static func date(fromAmzDate text: some StringProtocol) -> Date? {
        // The format style alone also takes offsets and fractions; a presigned URL's date
        // has neither, so anything else is not one.
        let bytes = Array(text.utf8)
        guard bytes.count == 16, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z"),
            bytes[0..<8].allSatisfy(isDigit), bytes[9..<15].allSatisfy(isDigit)
        else { return nil }
        return try? Date(String(text), strategy: style)
    }

    // Locale- and time-zone-independent, unlike a DateFormatter left to its defaults.
    private static let style = Date.ISO8601FormatStyle(
        dateSeparator: .omitted, dateTimeSeparator: .standard, timeSeparator: .omitted, timeZone: .gmt)

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
}
