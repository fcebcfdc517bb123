import CoreFoundation
import Foundation

/// How the browser orders and filters names: Finder's order (`localizedStandardCompare`:
/// case- and width-insensitive, digits by value, in the user's locale) and a
/// case-insensitive localized "contains", with the locale made once per listing or filter.
///
/// Why not `localizedStandardCompare` and `localizedCaseInsensitiveContains` themselves:
/// on Linux each call builds a new `CFLocale` from the locale's identifier, which was most
/// of their cost. Measured on 100,000 names (`file-00000.txt`…): sorting took 2.8–3.2 s
/// that way against 0.27 s here, most of a 3.8 s listing the TUI could not answer a key
/// during; a filter keystroke took 103–111 ms against 17 ms. Same flags, same CF call
/// underneath; on random names of letters, accents, digits and punctuation the two
/// orders agree (a few pairs of full-width letters against ligatures may not).
struct NameCollation {
    private let locale: CFLocale

    init() { locale = CFLocaleCopyCurrent() }

    private static let orderFlags = CFStringCompareFlags(rawValue:
        CFStringCompareFlags.compareCaseInsensitive.rawValue | CFStringCompareFlags.compareNumerically.rawValue
            | CFStringCompareFlags.compareWidthInsensitive.rawValue | CFStringCompareFlags.compareForcedOrdering.rawValue
            | CFStringCompareFlags.compareLocalized.rawValue)
    private static let findFlags = CFStringCompareFlags(rawValue:
        CFStringCompareFlags.compareCaseInsensitive.rawValue | CFStringCompareFlags.compareLocalized.rawValue)

    /// A name made ready to compare: sorting makes each once, not once per comparison.
    struct Key {
        fileprivate let string: CFString
    }

    func key(_ name: String) -> Key { Key(string: Self.cf(name)) }

    /// Whether `lhs` comes before `rhs` in Finder's order.
    func precedes(_ lhs: Key, _ rhs: Key) -> Bool {
        CFStringCompareWithOptionsAndLocale(lhs.string, rhs.string, CFRange(location: 0, length: CFStringGetLength(lhs.string)),
                                            Self.orderFlags, locale) == .compareLessThan
    }

    /// A filter: whether a name contains `needle`, ignoring case, in this locale.
    func matcher(for needle: String) -> (String) -> Bool {
        let needle = Self.cf(needle), locale = locale
        return { name in
            let text = Self.cf(name)
            return CFStringFindWithOptionsAndLocale(text, needle, CFRange(location: 0, length: CFStringGetLength(text)),
                                                    Self.findFlags, locale, nil)
        }
    }

    private static func cf(_ string: String) -> CFString {
        // A Swift string is valid UTF-8, and a NUL inside one (never in a file name) only
        // shortens the key.
        string.withCString { CFStringCreateWithCString(nil, $0, CFStringBuiltInEncodings.UTF8.rawValue) }
            ?? CFStringCreateWithCString(nil, "", CFStringBuiltInEncodings.UTF8.rawValue)
    }
}
