/// A guard in front of MultipartKit 4.7.1, whose parser looks each byte of a part's header
/// *name* up in a 128-entry table and traps on any byte of 0x80 or more (found by
/// schemathesis: `--XX\r\n\u{E8}: a\r\n...` stopped the whole server). It is not a parser:
/// it finds the lines the library will read as header names and refuses non-ASCII in them,
/// erring on the side of refusing.
enum MultipartHeaderGuard {
    /// Whether every header name of every part is ASCII. A part's header block ends only
    /// where MultipartKit ends it (CRLF CRLF); inside it, a line ends at CR or LF, whichever
    /// comes first, so that no line the library might read as a name slips past.
    static func namesAreASCII(_ body: some Collection<UInt8>, boundary: String) -> Bool {
        let bytes = Array(body)
        let delimiter = Array("--\(boundary)".utf8)
        let blank: [UInt8] = [13, 10, 13, 10]
        var cursor = 0
        while let found = firstIndex(of: delimiter, in: bytes, from: cursor) {
            let start = found + delimiter.count
            let end = firstIndex(of: blank, in: bytes, from: start) ?? bytes.count
            for line in bytes[start..<end].split(whereSeparator: { $0 == 13 || $0 == 10 }) {
                if line.prefix(while: { $0 != 58 }).contains(where: { $0 >= 0x80 }) { return false }
            }
            cursor = max(end, start)
        }
        return true
    }

    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, start <= haystack.count - needle.count else { return nil }
        var i = start
        while i <= haystack.count - needle.count {
            if haystack[i] == needle[0], haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
