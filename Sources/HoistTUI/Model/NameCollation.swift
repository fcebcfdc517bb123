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
/// during; a filter keystroke took 103–111 ms against 17 ms (2.7 ms with the ASCII search
/// of ``matcher(for:)``). Same flags, same CF call underneath; on random names of letters,
/// accents, digits and punctuation the two orders agree (a few pairs of full-width letters
/// against ligatures may not).
struct NameCollation {
    private let locale: CFLocale

    init() { locale = CFLocaleCopyCurrent() }

    private static let orderFlags = CFStringCompareFlags(rawValue:
        CFStringCompareFlags.compareCaseInsensitive.rawValue | CFStringCompareFlags.compareNumerically.rawValue
            | CFStringCompareFlags.compareWidthInsensitive.rawValue | CFStringCompareFlags.compareForcedOrdering.rawValue
            | CFStringCompareFlags.compareLocalized.rawValue)
    /// Non-literal, as Foundation's own search is: a decomposed `é` (`e` and U+0301) is the
    /// composed one, whichever way the name or the filter was typed.
    private static let findFlags = CFStringCompareFlags(rawValue:
        CFStringCompareFlags.compareCaseInsensitive.rawValue | CFStringCompareFlags.compareLocalized.rawValue
            | CFStringCompareFlags.compareNonliteral.rawValue)

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
    ///
    /// An ASCII name is searched for an ASCII needle byte by byte, ASCII letters folded: in
    /// a locale that folds ASCII letters to each other (not Turkish or Azeri, whose `I` is
    /// not `i`) that is the answer the locale's search gives, without making a CFString of
    /// each name. That was most of a filter key on 100,000 names; other names go the
    /// locale's way.
    func matcher(for needle: String) -> (String) -> Bool {
        let cfNeedle = Self.cf(needle), locale = locale
        func localized(_ name: String) -> Bool {
            let text = Self.cf(name)
            return CFStringFindWithOptionsAndLocale(text, cfNeedle, CFRange(location: 0, length: CFStringGetLength(text)),
                                                    Self.findFlags, locale, nil)
        }
        guard foldsASCIIPlainly, let ascii = ASCIIFoldedSearch(needle) else { return localized }
        return { name in ascii.contained(in: name) ?? localized(name) }
    }

    /// Whether this locale's case-insensitive search folds ASCII letters as ASCII does.
    private var foldsASCIIPlainly: Bool {
        let language = Locale.current.language.languageCode?.identifier
        return language != "tr" && language != "az"
    }

    private static func cf(_ string: String) -> CFString {
        // A Swift string is valid UTF-8, and a NUL inside one (never in a file name) only
        // shortens the key.
        string.withCString { CFStringCreateWithCString(nil, $0, CFStringBuiltInEncodings.UTF8.rawValue) }
            ?? CFStringCreateWithCString(nil, "", CFStringBuiltInEncodings.UTF8.rawValue)
    }
}

/// A case-insensitive search of an ASCII needle in ASCII names, on their bytes.
struct ASCIIFoldedSearch {
    private let needle: [UInt8]

    /// Nil when `needle` is not all ASCII.
    init?(_ needle: String) {
        guard needle.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
        self.needle = needle.utf8.map(Self.fold)
    }

    /// Whether `name` contains the needle, ASCII letters folded; nil when `name` is not all
    /// ASCII (its answer is the locale's to give).
    func contained(in name: String) -> Bool? {
        var name = name
        return name.withUTF8 { bytes -> Bool? in
            var found = needle.isEmpty
            guard bytes.count >= needle.count else { return bytes.allSatisfy { $0 < 0x80 } ? found : nil }
            let last = bytes.count - needle.count
            for start in 0..<bytes.count {
                if bytes[start] >= 0x80 { return nil }
                guard !found, start <= last else { continue }
                var matched = 0
                while matched < needle.count, Self.fold(bytes[start + matched]) == needle[matched] { matched += 1 }
                if matched == needle.count { found = true }
            }
            return found
        }
    }

    private static func fold(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }
}
